"""Chinese review text: tokenising (jieba with a per-dataset user dictionary), sentiment (SnowNLP baseline,
film-domain model trained on the dataset's stars with out-of-fold scores, general-domain fallback), keywords
(jieba TF-IDF / TextRank over one sparse matrix) and the aspect summary.

Modules: :mod:`.tokenize`, :mod:`.sentiment`, :mod:`.keywords`, :mod:`.aspects`.
"""
