"""Early warning over a generated year (R-RA-9): 20 products with weekday and hour-of-day seasonality,
lots renewed every 30 days, six regions; a quiet first quarter, then 5× spikes (one product, one bad lot,
one region, 24 hours) at known times. The detector runs every hour as `detect` would; prints the detection
delay per spike, incidents per spike, and false alarms per product per quarter.

    .venv/bin/python bench/early_warning.py [--size 5] [--spikes 12] [--seed 12]
"""

import argparse
import statistics
import time
from datetime import datetime, timedelta

from tousu.risk.incidents import IncidentPolicy
from tousu.risk.spike_simulation import evaluate, generate, run
from tousu.timeline import SHANGHAI


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=float, default=5.0)
    parser.add_argument("--spikes", type=int, default=12)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    policy = IncidentPolicy()
    start = datetime(2025, 1, 6, tzinfo=SHANGHAI)
    end = start + timedelta(days=365)
    warm = policy.baseline + policy.window
    started = time.perf_counter()
    arrivals, injected = generate(start=start - warm, days=365 + warm.days, products=args.products,
                                  spikes=args.spikes, size=args.size, quiet_days=warm.days + 91, seed=args.seed)
    incidents = run(policy, arrivals, start=start, end=end)
    outcome = evaluate(incidents, injected, products=args.products, start=start, end=end)
    print(f"{len(arrivals)} complaints, {len(injected)} spikes of {args.size:g}x, "
          f"{len(incidents)} incidents, {time.perf_counter() - started:.1f} s")
    for spike in injected:
        delay = outcome.delays[spike.number]
        print(f"  spike {spike.number:2d} {spike.product} usual {spike.base_rate}/day, +{len(spike.ids)} complaints: "
              f"{'missed' if delay is None else f'found after {delay.total_seconds() / 3600:.0f} h'}, "
              f"{outcome.incidents_per_spike[spike.number]} incident(s)")
    delays = [d.total_seconds() / 3600 for d in outcome.delays.values() if d is not None]
    print(f"found {len(delays)}/{len(injected)}; delay median {statistics.median(delays):.0f} h, "
          f"max {max(delays):.0f} h (window {policy.window_hours} h)")
    print(f"false alarms: {len(outcome.false_alarms)} over {outcome.product_quarters} product-quarters = "
          f"{len(outcome.false_alarms) / outcome.product_quarters:.2f} per product per quarter")
    first = min(s.start for s in injected)
    quiet = [i for i in outcome.false_alarms if i.opened_at < first]
    print(f"  of which in the quiet first quarter: {len(quiet)} ({len(quiet) / args.products:.2f} per product)")


if __name__ == "__main__":
    main()
