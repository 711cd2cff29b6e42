"""Questions: arithmetic is answered here (a safe evaluator, operator words from the locale's lexicon);
facts, definitions, stocks and currencies need a search provider."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._service import ask_provider
from kiloglot.assistant.values import latin_digits, with_digits, word_pattern

_OPS: dict[type, Callable[..., float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        right = _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](_eval(node.left), right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.operand))
    raise ValueError("not arithmetic")


def arithmetic(text: str, ctx: SkillContext) -> tuple[str, float] | None:
    t = latin_digits(text).lower().replace("×", "*").replace("÷", "/").replace("−", "-")
    operators = ctx.loc.catalogue.get("lexicon", {}).get("operators") or ctx.loc.english["lexicon"]["operators"]
    for word, op in sorted(operators.items(), key=lambda kv: -len(kv[0])):
        t = re.sub(word_pattern(word.lower()), f" {op} ", t)
    t = with_digits(t, ctx.loc)
    expr = " ".join(re.findall(r"\d+(?:[.,]\d+)?|\*\*|[-+*/()]", t)).replace(",", ".")
    if not re.search(r"\d.*[-+*/].*\d", expr):
        return None
    try:
        value = _eval(ast.parse(expr, mode="eval").body)
    except (ValueError, SyntaxError, ZeroDivisionError, OverflowError):
        return None
    return expr, value


class QaSkill(Skill):
    scenario = "qa"

    @handles("qa_maths")
    def maths(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        found = arithmetic(ctx.text, ctx)
        if found is None:
            return SkillResult("maths_unknown")
        expr, value = found
        shown = ctx.loc.number(round(value, 6))
        return SkillResult(
            "maths_result", {"expression": ctx.loc.digits(expr), "result": shown}, {"expression": expr, "value": value}
        )

    @handles("qa_definition", optional=("definition_word",))
    @handles("qa_factoid", optional=("person", "place_name", "event_name"))
    @handles("qa_currency", optional=("currency_name", "date"))
    @handles("qa_stock", optional=("business_name", "date"))
    def search(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return ask_provider("search", frame, ctx)
