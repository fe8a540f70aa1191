"""Film promotion: box-office forecast, campaign lift, ad response, audience plans, release buzz.

No Streamlit here: the Promotion page (``views/6_promotion.py``) and the CLI commands
``boxoffice``, ``campaign`` and ``plan`` call these functions.
"""
