"""Load over HTTP: many clients recording complaints through `POST /api/complaints` of a served Tousu, as
a flood after a product incident would. Used by bench/load.py and the load-without-loss tests.

Each client is a thread with its own keep-alive connection (urllib3); it records the tracking number of
every 201 and the time of each answer, and counts every other outcome by kind, so a check afterwards can
ask the database for exactly what was acknowledged."""

import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import urllib3

# Five industries' products, with the lots a manufacturer ships and the problems each one has.
_PRODUCTS = {
    "PD-610 铝合金脚踏": ("manufacturing", ["中轴螺纹不良，拧不进曲柄", "反光片装反，颜色和封样不一样", "电镀层脱落，表面起泡",
                                        "轴承转动卡滞，滚珠卡死"]),
    "PD-880 碳纤维脚踏": ("manufacturing", ["脚踏体出现裂纹", "同心度偏差，转动时摆动", "包装破损，配件缺失"]),
    "电热水壶 KT-17": ("ecommerce", ["用了没几天就不加热了", "壶盖关不严，水洒出来", "底座接触不良，时好时坏",
                                   "有很重的塑料味，烧出来的水没法喝"]),
    "白金信用卡": ("banking", ["被扣了一笔年费，办卡时说终身免年费", "分期手续费和宣传的费率不一样",
                           "卡被莫名冻结，客服说要回网点处理", "账单里有一笔不认识的消费"]),
    "手机银行 App": ("banking", ["更新后一直闪退，登录不了", "转账显示成功但对方没收到", "验证码总是收不到"]),
    "家庭宽带": ("telecom", ["这周断了好几次，报修没人上门", "网速远低于套餐承诺的速率", "拆机后还在继续扣费"]),
    "99 元套餐": ("telecom", ["超出流量后被限速，办理时没人告诉我", "每个月被扣视频会员费，我从来没订过"]),
    "国内航班": ("aviation", ["延误好几个小时没有任何通知，错过转机", "托运的行李箱轮子断了", "退票手续费和购票时说的不一样"]),
    "婴儿奶粉": ("ecommerce", ["收到的奶粉罐子漏气，日期也不对", "快递显示签收但我没收到", "客服承诺的赠品一直没发"]),
}
_OPENINGS = ["", "你好，", "我要投诉：", "麻烦处理一下，", "第二次反映了，", "客服电话一直打不通，只能在这里留言："]
_DEMANDS = [("要求退款。", "refund"), ("要求换货。", "replacement"), ("请尽快派人维修。", "repair"),
            ("要求赔偿损失。", "compensation"), ("希望给个说法。", "explanation"), ("请给我道歉。", "apology"), ("", "")]
_MOODS = ["", "", "", "太过分了！", "态度很差，", "再不处理我就向监管部门投诉。", "已经发到网上曝光了。"]
# About one complaint in twenty is about someone's safety: the emergencies the leaders are told about at once.
_DANGERS = ["插上电源后底座冒烟，差点起火", "孩子用的时候被烫伤了手", "骑行中脚踏断裂摔倒，手肘擦伤缝了三针",
            "吃了以后孩子一直呕吐拉肚子，去了急诊"]
_REGIONS = ["上海", "北京", "广东深圳", "浙江杭州", "四川成都", "江苏苏州", "湖北武汉", "陕西西安", "福建厦门", "辽宁沈阳"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
_CHANNELS = ["phone", "phone", "web", "web", "wechat", "email", "sms", "social", "onsite"]


class ComplaintBodies:
    """Varied, realistic bodies for POST /api/complaints: five industries, lots with their quantities,
    amounts, emotions, a safety danger now and then, and about a third from a pool of repeat customers
    shared by every client (the same seed gives the same flood)."""

    def __init__(self, seed: int = 2026, repeat_customers: int = 300):
        rng = random.Random(seed)
        self._pool = [self._person(rng, i) for i in range(repeat_customers)]
        self._seed = seed
        self._counter = iter(range(10**9))
        self._lock = threading.Lock()

    @staticmethod
    def _person(rng: random.Random, n: int) -> tuple[str, str]:
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        return name, f"13{rng.randint(0, 9)}{(n * 7919 + rng.randint(0, 9999)) % 100_000_000:08d}"

    def stream(self, client: int) -> Iterator[dict]:
        rng = random.Random(self._seed * 1000 + client)
        while True:
            with self._lock:
                n = next(self._counter)
            yield self.body(rng, n)

    def body(self, rng: random.Random, n: int) -> dict:
        product = rng.choice(list(_PRODUCTS))
        industry, problems = _PRODUCTS[product]
        problem = rng.choice(_DANGERS) if rng.random() < 0.05 else rng.choice(problems)
        demand_text, demand = rng.choice(_DEMANDS)
        name, phone = (rng.choice(self._pool) if rng.random() < 0.35 else self._person(rng, 10_000 + n))
        body: dict = {
            "text": f"{rng.choice(_OPENINGS)}{product}{problem}，{rng.choice(_MOODS)}{demand_text}",
            "channel": rng.choice(_CHANNELS), "customer_name": name, "phone": phone, "product": product,
            "region": rng.choice(_REGIONS),
        }
        if demand:
            body["demand"] = demand
        if industry == "manufacturing":
            delivered = rng.choice([500, 1000, 2000, 5000])
            body.update(lot=f"L2612-{rng.randint(1, 12):02d}", quantity_delivered=delivered,
                        quantity_defective=rng.randint(1, delivered // 5), company=f"{name[0]}氏车业有限公司")
        elif rng.random() < 0.6:
            body["amount"] = str(Decimal(rng.choice([59, 99, 199, 368, 1299, 5200, 20000])))
        if rng.random() < 0.3:
            body["order_no"] = f"PO-{rng.randint(2600000, 2699999)}"
        return body


@dataclass
class LoadResult:
    seconds: float = 0.0
    created: list[str] = field(default_factory=list)  # tracking numbers answered with 201
    latencies: list[float] = field(default_factory=list)  # seconds, of the 201 answers
    failures: Counter = field(default_factory=Counter)  # other outcomes: "422", "ProtocolError" …

    @property
    def rate(self) -> float:
        return len(self.created) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the 201 latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    def summary(self) -> dict:
        return {"created": len(self.created), "seconds": round(self.seconds, 2), "per_second": round(self.rate, 1),
                "p50_ms": round(self.percentile(50), 1), "p95_ms": round(self.percentile(95), 1),
                "p99_ms": round(self.percentile(99), 1), "failures": dict(self.failures)}


def run_clients(port: int, token: str, *, clients: int, seconds: float, bodies: ComplaintBodies | None = None,
                path: str = "/api/complaints", host: str = "127.0.0.1") -> LoadResult:
    """`clients` threads, each posting one complaint after another for `seconds`; a request under way at
    the end is waited for and counted."""
    bodies = bodies or ComplaintBodies()
    result = LoadResult()
    lock = threading.Lock()
    until = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(n: int) -> None:
        pool = urllib3.HTTPConnectionPool(host, port, maxsize=1, block=True, retries=False,
                                          timeout=urllib3.Timeout(connect=10, read=120))
        created, latencies, failures = [], [], Counter()
        for body in bodies.stream(n):
            if time.monotonic() >= until:
                break
            data = json.dumps(body, ensure_ascii=False).encode()
            started = time.perf_counter()
            try:
                response = pool.urlopen("POST", path, body=data, headers=headers, retries=False)
            except urllib3.exceptions.HTTPError as exc:  # a killed worker's connection, a refused connect
                failures[type(exc).__name__] += 1
                time.sleep(0.01)
                continue
            elapsed = time.perf_counter() - started
            if response.status == 201:
                created.append(json.loads(response.data)["tracking_number"])
                latencies.append(elapsed)
            else:
                failures[str(response.status)] += 1
        pool.close()
        with lock:
            result.created += created
            result.latencies += latencies
            result.failures.update(failures)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


# An HTTP/1.1 server that answers every request with a fixed 201 and keeps the connection: the trivial
# endpoint against which the clients' own ceiling is measured (nothing behind it but a socket).
_TRIVIAL_SERVER = r"""
import asyncio, sys
BODY = b'{"tracking_number": "TS0"}'
ANSWER = (b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY

class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            self.transport.write(ANSWER)

async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def client_ceiling(*, clients: int, seconds: float = 3.0) -> LoadResult:
    """The same clients against a server that does nothing: how many requests a second they can make on
    this machine, so a figure measured against Tousu is known not to be the clients' limit."""
    from tousu.testing.servers import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", _TRIVIAL_SERVER, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        return run_clients(port, "none", clients=clients, seconds=seconds)
    finally:
        server.kill()
        server.wait()
