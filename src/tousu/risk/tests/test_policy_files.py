import pytest

from tousu.risk import DefectGrade, Facts, History, Level, PolicyError, assess, load_policy
from tousu.risk.policy import shipped_policies

MANUFACTURING = load_policy("manufacturing")

# Every item of seed 001's catalogue (关于客户投诉判定程度标准提案), as the seed words it, with its grade.
SEED_001 = [
    ("反光片上错", "general"), ("吊卡用错", "general"), ("送货地点错误", "general"), ("唛头写错", "general"),
    ("纸箱皮损", "general"), ("反光片破裂", "general"), ("反光片脱落", "general"), ("漏打后盖", "general"),
    ("小数量同脚", "general"), ("芯轴牙纹不良", "general"), ("短装", "general"), ("箱号漏编", "general"),
    ("小数量混装", "general"), ("唛头用错", "general"), ("字母刻错", "general"), ("纸箱破损", "general"),
    ("牙纹不良", "general"), ("发黑不良", "general"), ("电镀脱皮", "general"), ("同心度偏差", "general"),
    ("少放配件", "batch"), ("反光片批次性用错", "batch"), ("整批次的唛头错误导致无法正常入库上线", "batch"),
    ("色差", "batch"), ("配件混料", "batch"), ("牙纹斜压不能使用", "batch"), ("中轴落差批次性不良", "batch"),
    ("碗件压配使用脱落", "batch"),
    ("本体破裂", "serious"), ("芯轴断裂", "serious"), ("钢珠不下卡死", "serious"), ("未铆压导致芯轴和本体脱落", "serious"),
    ("拉松脱", "serious"), ("无牙纹", "serious"), ("组高偏高", "serious"), ("组高偏低", "serious"), ("总长不够", "serious"),
    ("零件破裂", "serious"), ("硬度不够导致安装破裂", "serious"), ("轴承数量性的散落", "serious"), ("轴承破裂", "serious"),
]


@pytest.mark.parametrize("name", ["default", "manufacturing", "banking", "telecom", "aviation", "ecommerce"])
def test_every_shipped_policy_loads(name):
    policy = load_policy(name)
    assert policy.name == name and policy.version
    assert name in shipped_policies()


@pytest.mark.parametrize("text,grade", SEED_001)
def test_each_seed_catalogue_item_maps_to_its_grade(text, grade):
    assert assess(Facts(text=text), None, MANUFACTURING).defect_grade == DefectGrade(grade)


def test_grades_map_to_levels():
    assert assess(Facts(text="反光片上错"), None, MANUFACTURING).risk_level == Level.LOW
    assert assess(Facts(text="色差"), None, MANUFACTURING).risk_level == Level.MEDIUM
    assert assess(Facts(text="芯轴断裂"), None, MANUFACTURING).risk_level == Level.HIGH


@pytest.mark.parametrize("delivered,defective,grade", [(1000, 299, "general"), (1000, 300, "batch"), (10, 3, "batch")])
def test_thirty_percent_of_a_lot_is_a_batch_complaint(delivered, defective, grade):
    facts = Facts(text="螺纹不良", quantity_delivered=delivered, quantity_defective=defective)
    assert assess(facts, None, MANUFACTURING).defect_grade == DefectGrade(grade)


def test_the_lot_total_from_history_decides_over_the_single_complaint():
    facts = Facts(text="螺纹不良", quantity_delivered=100, quantity_defective=1)
    history = History(lot_delivered=1000, lot_defective=350)
    assert assess(facts, history, MANUFACTURING).defect_grade == DefectGrade.BATCH


@pytest.mark.parametrize("earlier,grade", [(1, "general"), (2, "serious")])
def test_the_third_time_in_a_month_is_serious(earlier, grade):
    result = assess(Facts(text="螺纹不良"), History(same_problem_this_month=earlier), MANUFACTURING)
    assert result.defect_grade == DefectGrade(grade)


def test_a_negated_defect_is_not_a_defect():
    assert assess(Facts(text="这次没有色差，但是到货晚了"), None, MANUFACTURING).defect_grade is None


def write(tmp_path, text):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_errors_name_the_key_and_line(tmp_path):
    path = write(tmp_path, "name: x\nversion: '1'\nfactors:\n  safety:\n    rules:\n      - id: s\n        level: severe\n        words: [受伤]\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert "line 7" in message and "factors.safety.rules.0.level" in message


def test_unknown_factors_and_keys_are_refused(tmp_path):
    with pytest.raises(PolicyError, match="unknown factor"):
        load_policy(write(tmp_path, "name: x\nversion: '1'\nfactors:\n  luck: {rules: []}\n"))
    with pytest.raises(PolicyError, match="colour"):
        load_policy(write(tmp_path, "name: x\nversion: '1'\ncolour: red\n"))


def test_a_missing_version_and_bad_yaml_are_refused(tmp_path):
    with pytest.raises(PolicyError, match="version"):
        load_policy(write(tmp_path, "name: x\n"))
    with pytest.raises(PolicyError, match="line"):
        load_policy(write(tmp_path, "name: [x\n"))


def test_numbers_as_words_must_be_quoted(tmp_path):
    with pytest.raises(PolicyError, match="words"):
        load_policy(write(tmp_path, "name: x\nversion: '1'\nfactors:\n  compliance:\n    rules:\n      - {id: c, words: [12315]}\n"))


def test_a_policy_extends_a_shipped_one_and_merges_rules_by_id(tmp_path):
    path = write(tmp_path, "extends: default\nname: mine\nversion: '9'\nmoney: {high_amount: 500}\n"
                           "factors:\n  safety:\n    rules:\n      - {id: safety.extra, words: [夹伤]}\n")
    policy = load_policy(path)
    assert policy.name == "mine" and policy.money.high_amount == 500
    assert {r.id for r in policy.factors["safety"].rules} >= {"safety.injury", "safety.extra"}
    assert assess(Facts(text="要求退款", amount=600), None, policy).risk_level == Level.HIGH
    assert "safety" in assess(Facts(text="手被夹伤"), None, policy).factors


def test_a_policy_that_extends_itself_is_refused(tmp_path):
    path = write(tmp_path, "extends: policy\nname: x\nversion: '1'\n")
    with pytest.raises(PolicyError, match="extends itself"):
        load_policy(path)
