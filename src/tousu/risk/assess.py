"""assess(facts, history, policy) -> Assessment: every factor of R-RA-2, with its evidence."""

from collections import defaultdict
from decimal import Decimal

from tousu.risk.amounts import amounts_in, rates_in
from tousu.risk.matcher import Hit, PhraseMatcher, Target
from tousu.risk.model import Assessment, DefectGrade, Evidence, Facts, History, Level, Priority, higher
from tousu.risk.normalise import normalise
from tousu.risk.policy import Policy


class Engine:
    """A policy compiled for matching; built once per policy object."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.emergency_any = frozenset(policy.emergency.any_of)
        self.emergency_all = tuple(frozenset(group) for group in policy.emergency.all_of)
        entries: list[tuple[str, Target]] = []
        self.rules = {}
        for factor, factor_policy in policy.factors.items():
            for rule in factor_policy.rules:
                self.rules[rule.id] = (factor, rule)
                entries += [(normalise(w), Target("rule", (factor, rule.id))) for w in rule.words]
                entries += [(normalise(w), Target("near", (rule.id,))) for w in rule.near]
                entries += [(normalise(w), Target("unless", (rule.id,))) for w in rule.unless]
        self.type_of_rule = {rule: t.id for t in reversed(policy.types) for rule in t.from_rules}
        for type_rule in policy.types:
            entries += [(w, Target("type", (type_rule.id,))) for w in type_rule.words]
            for subtype, words in type_rule.subtypes.items():
                entries += [(w, Target("subtype", (type_rule.id, subtype))) for w in words]
                entries += [(w, Target("type", (type_rule.id,))) for w in words]
        if policy.manufacturing:
            for family in policy.manufacturing.catalogue:
                for grade in DefectGrade:
                    for item in getattr(family, grade.value):
                        entries += [(w, Target("defect", (family.id, grade.value, item.id, item.label)))
                                    for w in item.words]
        entries += [(w, Target("enquiry", ())) for w in policy.language.enquiry_words]
        entries += [(w, Target("settled", ())) for w in policy.language.settled_words]
        self.matcher = PhraseMatcher(entries, policy.language)


def engine_for(policy: Policy) -> Engine:
    if policy._engine is None:
        policy._engine = Engine(policy)
    return policy._engine


def assess(facts: Facts, history: History | None, policy: Policy) -> Assessment:
    history = history or History()
    engine = engine_for(policy)
    matcher = engine.matcher
    text = normalise(facts.text)
    fired: dict[str, Level] = {}
    reasons: list[Evidence] = []
    emergency_rules: list[str] = []

    def fire(factor: str, level: Level, evidence: Evidence) -> None:
        fired[factor] = higher(fired[factor], level) if factor in fired else level
        reasons.append(evidence)

    rule_hits: dict[str, list[Hit]] = defaultdict(list)
    type_scores: dict[str, int] = defaultdict(int)
    subtype_scores: dict[tuple[str, str], int] = defaultdict(int)
    defects: dict[tuple, list[Hit]] = defaultdict(list)
    enquiry = settled = False
    near: dict[str, list[Hit]] = defaultdict(list)
    unless: dict[str, list[Hit]] = defaultdict(list)
    rules = engine.rules
    for word, start, targets in matcher.matches(text):
        negated: bool | None = None  # worked out once per place, only when a target asks
        for target in targets:
            kind = target.kind
            if kind == "rule":
                rule = rules[target.ref[1]][1]
                if rule.negatable:
                    if negated is None:
                        negated = matcher.is_negated(text, start)
                    if negated:
                        continue
                if rule.reported_speech_cancels and matcher.is_reported(text, start):
                    continue
                rule_hits[target.ref[1]].append(Hit(word, start, target))
            elif kind == "near":
                # A negatable rule's partner is negated as well: "卡号没有写错" is no wrong card number.
                if rules[target.ref[0]][1].negatable:
                    if negated is None:
                        negated = matcher.is_negated(text, start)
                    if negated:
                        continue
                near[target.ref[0]].append(Hit(word, start, target))
            elif kind == "unless":
                unless[target.ref[0]].append(Hit(word, start, target))
            elif kind == "enquiry":
                enquiry = True
            elif kind == "settled":
                settled = True
            else:
                if negated is None:
                    negated = matcher.is_negated(text, start)
                if negated:
                    continue
                if kind == "type":
                    type_scores[target.ref[0]] += 1
                elif kind == "subtype":
                    subtype_scores[target.ref] += 1
                elif kind == "defect":
                    defects[target.ref].append(Hit(word, start, target))

    for rule_id, hits in rule_hits.items():
        factor, rule = engine.rules[rule_id]
        matched: list[tuple[str, int]] = []
        for hit in hits:
            if rule.unless and _close(hit, unless.get(rule_id, ()), rule.within, overlapping=True):
                continue
            if rule.near:
                partner = _close(hit, near.get(rule_id, ()), rule.within, rule.near_side)
                if partner is None:
                    continue
                matched.append((partner.word, partner.start))
            matched.append((hit.word, hit.start))
        if not matched:
            continue
        words = tuple(sorted(dict.fromkeys(matched), key=lambda m: m[1]))
        fire(factor, rule.level, Evidence(factor, rule_id, "matched " + "、".join(w for w, _ in words), words))
        if rule.emergency:
            emergency_rules.append(rule_id)

    # Channels: a regulator's transfer is a compliance matter, a public post can spread.
    for factor, factor_policy in policy.factors.items():
        level = factor_policy.channels.get(facts.channel)
        if level is not None:
            fire(factor, level, Evidence(factor, f"{factor}.channel", f"channel {facts.channel}", code=facts.channel))

    _money(facts, text, policy, fire)
    _rate_above_cap(text, policy, fire)
    _customer_value(facts, policy, fire)
    _history(history, policy, fire)
    defect_grade, problem_key = _manufacturing(facts, history, policy, defects, fire)

    if fired:
        level = max(fired.values(), key=lambda lv: lv.rank)
        if settled and level != Level.HIGH:
            level = Level.LOW
            reasons.append(Evidence("baseline", "baseline.settled", "the customer says it is settled or a misunderstanding"))
    elif settled:
        level = Level.LOW
        reasons.append(Evidence("baseline", "baseline.settled", "the customer says it is settled or a misunderstanding"))
    elif enquiry:
        level = Level.LOW
        reasons.append(Evidence("baseline", "baseline.enquiry", "an enquiry or suggestion with no risk factor"))
    elif (len(text.strip()) < policy.language.vague_below and not type_scores
          and not any(word in text for word in policy.language.demand_words)):
        level = Level.LOW
        reasons.append(Evidence("baseline", "baseline.vague", "a short text with no risk factor",
                                value=len(text.strip())))
    else:
        level = policy.baseline_level
    if level == Level.MEDIUM:
        minor = _minor_matter(text, fired, reasons, policy)
        if minor is not None:
            level = Level.LOW
            reasons.append(minor)
    factors = tuple(sorted(fired))
    emergency = bool(emergency_rules) or not engine.emergency_any.isdisjoint(fired) or any(
        group <= fired.keys() for group in engine.emergency_all)
    if emergency:
        level = Level.HIGH
    complaint_type, subtype = _suggest_type(policy, type_scores, subtype_scores)
    for reason in reasons:
        if reason.rule in engine.type_of_rule:
            complaint_type, subtype = engine.type_of_rule[reason.rule], ""
            break
    return Assessment(
        risk_level=level,
        severity_grade=1 if emergency else policy.severity.get(level, 3),
        priority=Priority.URGENT if emergency or level == Level.HIGH else
        Priority.IMPORTANT if level == Level.MEDIUM else Priority.NORMAL,
        emergency=emergency,
        complaint_type=complaint_type,
        complaint_subtype=subtype,
        defect_grade=defect_grade,
        factors=factors,
        reasons=tuple(reasons),
        policy_name=policy.name,
        policy_version=policy.version,
        type_scores=dict(type_scores),
        problem_key=problem_key,
    )


def _minor_matter(text: str, fired: dict[str, Level], reasons: list[Evidence], policy: Policy) -> Evidence | None:
    """Low for a minor matter (a coupon or promotion not honoured) in a short text where nothing but a small
    money dispute fired; None otherwise."""
    minor = policy.language.minor_matters
    length = len(text.strip())
    if not minor.words or length >= minor.below:
        return None
    if any(factor not in minor.factors or level != Level.MEDIUM for factor, level in fired.items()):
        return None
    amounts = [r.value for r in reasons if r.factor == "money" and r.value is not None]
    if amounts and max(amounts) >= minor.amount_below:
        return None
    found = min(((text.find(word), word) for word in minor.words if word in text), default=None)
    if found is None:
        return None
    return Evidence("baseline", "baseline.minor", f"a minor matter ({found[1]}) in a short text, no loss of "
                    f"¥{minor.amount_below} or more", ((found[1], found[0]),), value=length, limit=minor.below)


def _close(hit: Hit, others, within: int, side: str = "either", *, overlapping: bool = False) -> Hit | None:
    """The first of `others` whose span lies within `within` characters of `hit`'s (gap between them),
    on the given side of it. A word starting where `hit` starts counts only when `overlapping`: an `unless`
    word that extends the phrase ("起诉我" over "起诉", "去世后" over "去世") cancels it, while a `near`
    partner must be another word."""
    end = hit.start + len(hit.word)
    for other in others:
        if other.start == hit.start and not overlapping or side == "before" and other.start > hit.start or (
                side == "after" and other.start < hit.start):
            continue
        gap = max(other.start - end, hit.start - (other.start + len(other.word)), 0)
        if gap <= within:
            return other
    return None


def problem_key(text: str, policy: Policy) -> str:
    """The defect-catalogue item a complaint's text describes, "" when none (or no catalogue)."""
    return assess(Facts(text=text), None, policy).problem_key if policy.manufacturing else ""


def _money(facts: Facts, text: str, policy: Policy, fire) -> None:
    candidates: list[tuple[Decimal, str, int | None, int]] = []
    if facts.amount is not None:
        candidates.append((Decimal(str(facts.amount)), "amount", None, 0))
    if policy.money.read_amounts_in_text:
        # An amount in the text is a loss only where the clause says money was lost; a loan's principal
        # or a bill's total is not (it still shows a concrete money matter: medium).
        for found in amounts_in(text):
            clause = _clause_around(text, found.start)
            # What instalments add up to is what the customer is made to pay: labellers read a total of
            # ¥10,000 or more as a major loss far more often than a bare principal.
            is_loss = found.how in policy.money.totals_as_loss or any(word in clause for word in policy.money.loss_words)
            value = found.value
            candidates.append((value if is_loss else min(value, policy.money.high_amount - 1),
                               found.how, found.start, found.end))
    if not candidates:
        return
    amount, source, position, end = max(candidates, key=lambda c: c[0])
    if amount >= policy.money.high_amount:
        level, rule = Level.HIGH, "money.high_amount"
    elif amount > policy.money.medium_amount:
        level, rule = Level.MEDIUM, "money.amount"
    else:
        return
    matches = ((text[position:end], position),) if position is not None else ()
    fire("money", level, Evidence("money", rule, f"¥{amount} ({source}); high from ¥{policy.money.high_amount}",
                                  matches, float(amount), limit=float(policy.money.high_amount), code=source))


def _rate_above_cap(text: str, policy: Policy, fire) -> None:
    """Interest above the legal cap, said as a figure: illegal lending (rubric)."""
    cap = policy.money.legal_rate_cap
    if cap is None:
        return
    above = [r for r in rates_in(text) if r.percent > cap or r.exceeds and r.percent >= cap]
    if not above:
        return
    top = max(above, key=lambda r: r.percent)
    fire("illegal", Level.HIGH, Evidence("illegal", "illegal.rate_above_cap",
                                         f"a yearly rate of {top.percent}% above the legal cap of {cap}%",
                                         ((text[top.start:top.end], top.start),), float(top.percent),
                                         limit=float(cap)))


def _clause_around(text: str, position: int, reach: int = 30) -> str:
    start, end = max(0, position - reach), min(len(text), position + reach)
    return text[start:end]


def _customer_value(facts: Facts, policy: Policy, fire) -> None:
    level = policy.customer_value.get(facts.customer_level)
    if level is not None:
        fire("customer_value", level, Evidence("customer_value", "customer_value.level",
                                               f"customer level {facts.customer_level}", code=facts.customer_level))


def _history(history: History, policy: Policy, fire) -> None:
    repeats = history.customer_earlier
    if repeats >= policy.repetition.high_after:
        fire("repetition", Level.HIGH, Evidence("repetition", "repetition.high_after",
             f"{repeats} earlier complaints within {policy.repetition.window_days} days", value=repeats,
             limit=policy.repetition.window_days))
    elif repeats >= policy.repetition.medium_after:
        fire("repetition", Level.MEDIUM, Evidence("repetition", "repetition.medium_after",
             f"{repeats} earlier complaint(s) within {policy.repetition.window_days} days", value=repeats,
             limit=policy.repetition.window_days))
    similar = history.similar_in_window
    if history.incident:
        fire("impact_scope", Level.HIGH, Evidence("impact_scope", "impact_scope.incident",
                                                  "linked to a mass incident", value=similar))
    if similar >= policy.scope.high_at:
        fire("impact_scope", Level.HIGH, Evidence("impact_scope", "impact_scope.high_at",
             f"{similar} similar complaints within {policy.scope.window_days} days", value=similar,
             limit=policy.scope.window_days))
    elif similar >= policy.scope.medium_at:
        fire("impact_scope", Level.MEDIUM, Evidence("impact_scope", "impact_scope.medium_at",
             f"{similar} similar complaints within {policy.scope.window_days} days", value=similar,
             limit=policy.scope.window_days))


def _manufacturing(facts: Facts, history: History, policy: Policy, defects: dict,
                   fire) -> tuple[DefectGrade | None, str]:
    rules = policy.manufacturing
    if rules is None:
        return None, ""
    grade: DefectGrade | None = None
    key = ""
    for (family, grade_name, item_id, label), hits in defects.items():
        item_grade = DefectGrade(grade_name)
        if grade is None or item_grade.rank > grade.rank:
            grade = item_grade
            key = f"{family}.{item_id}"
        fire("impact_scope", rules.grade_levels[item_grade],
             Evidence("impact_scope", f"defect.{family}.{item_id}", f"{label}: {grade_name} defect",
                      tuple((h.word, h.start) for h in hits), code=grade_name))
    delivered = history.lot_delivered if history.lot_delivered else facts.quantity_delivered
    defective = history.lot_defective if history.lot_delivered else facts.quantity_defective
    if delivered and defective is not None:
        rate = defective / delivered
        if rate >= rules.batch_defect_rate:
            if grade is None or grade.rank < DefectGrade.BATCH.rank:
                grade = DefectGrade.BATCH
            fire("impact_scope", rules.grade_levels[DefectGrade.BATCH], Evidence(
                "impact_scope", "defect.batch_rate",
                f"defect rate {rate:.1%} of lot ({defective}/{delivered}) ≥ {rules.batch_defect_rate:.0%}", value=rate,
                limit=rules.batch_defect_rate))
    repeats = history.same_problem_this_month + 1
    if key and repeats >= rules.serious_repeats_per_month:
        grade = DefectGrade.SERIOUS
        fire("repetition", rules.grade_levels[DefectGrade.SERIOUS], Evidence(
            "repetition", "defect.serious_repeats",
            f"the same problem {repeats} times this month (≥ {rules.serious_repeats_per_month})", value=repeats,
            limit=rules.serious_repeats_per_month))
    return grade, key


def _suggest_type(policy: Policy, type_scores: dict[str, int],
                  subtype_scores: dict[tuple[str, str], int]) -> tuple[str, str]:
    if not type_scores:
        return "other", ""
    order = {t.id: index for index, t in enumerate(policy.types)}
    best = max(type_scores, key=lambda t: (type_scores[t], -order.get(t, 99)))
    subtypes = {sub: score for (t, sub), score in subtype_scores.items() if t == best}
    return best, max(subtypes, key=lambda sub: subtypes[sub]) if subtypes else ""
