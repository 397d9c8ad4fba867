"""A third draw of zh-heimao-finance train.csv rows to label for risk (2026-12-03, second session): more
rows to tune and train the high-risk model on. Every new row joins `tune`; the frozen test split of the
first draw stays as it was, so the frozen figures remain comparable and unread.

Run once; its output (parts/rows-9.txt … rows-12.txt and the extended `tune` in split.json) is committed.
"""

from select_more import draw_into_tune

THIRD_SEED = 20261204  # which further rows get labelled
THIRD = 1200
PARTS = 4              # one file of rows per labeller: parts/rows-9.txt … rows-12.txt
FIRST_PART = 9

if __name__ == "__main__":
    draw_into_tune(seed=THIRD_SEED, rows=THIRD, parts=PARTS, first_part=FIRST_PART, labelled_before=2800,
                   seed_key="third_seed")
