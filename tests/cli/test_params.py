import pytest

from recsys_core.cli.params import coerce_like, parse_models, parse_params, parse_value
from recsys_core.errors import UserError


@pytest.mark.parametrize(
    "text,expected",
    [
        ("500", 500),
        ("0.01", 0.01),
        ("true", True),
        ("No", False),
        ("none", None),
        ("[1, 2]", [1, 2]),
        ("pearson", "pearson"),
        ("'cosine'", "cosine"),
    ],
)
def test_parse_value(text, expected):
    assert parse_value(text) == expected


def test_coerce_like_follows_the_default_type():
    assert coerce_like(2.0, 10) == 2 and isinstance(coerce_like(2.0, 10), int)
    assert coerce_like(1, 0.5) == 1.0 and isinstance(coerce_like(1, 0.5), float)
    assert coerce_like("svd, bias", ("svd",)) == ("svd", "bias")
    assert coerce_like(["a"], ["x"]) == ["a"]
    assert coerce_like(None, 3) is None


def test_parse_params_checks_models_and_names():
    out = parse_params(["bias.reg_u=5", "svd.n_factors=50"], ["bias", "svd"])
    assert out == {"bias": {"reg_u": 5.0}, "svd": {"n_factors": 50}}
    with pytest.raises(UserError, match="no parameter 'nope'"):
        parse_params(["bias.nope=1"], ["bias"])
    with pytest.raises(UserError, match="not in --models"):
        parse_params(["svd.n_factors=1"], ["bias"])


def test_parse_models():
    assert parse_models("Bias, svd") == ["bias", "svd"]
    with pytest.raises(UserError, match="unknown model 'x'"):
        parse_models("bias,x")
    with pytest.raises(UserError, match="twice"):
        parse_models("bias,bias")
    assert "svd" in parse_models("all")
