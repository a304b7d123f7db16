"""The synthetic KuaiLive twin: the book's embedded default dataset.

:func:`generate` writes the eight real CSV files (exact names, column order and encodings from
:mod:`kuailive_analysis.data.schema`) plus the ground truth:

* ``truth.json``: generator version, scale, seed, every model parameter (:class:`TwinParams`),
  row counts of the files exactly as written, and how the sample rule was imposed;
* ``truth_users.csv``: one row per user_id with the planted quantities the book estimates:
  ``entry_ms`` / ``churn_ms`` (planted active lifetime; ``churn_ms`` beyond the window end =
  not churned in the window), the behavioural draws (activity, daily visit probability, CTR,
  favourite share, gift rate per watched minute, price tilt, whale flag, expected price per
  gift) and which of the user's first gift / comment / like the sample rule added.

The behavioural model is in :mod:`kuailive_analysis.twin.events` (users, visits, screens,
exposures, clicks, watch, and the comments, likes and gifts that clicks lead to),
:mod:`kuailive_analysis.twin.rooms` (room schedules, one live room per streamer at a time, and
the room file's quirks), :mod:`kuailive_analysis.twin.gifts` (price menu),
:mod:`kuailive_analysis.twin.profiles` (binned profile columns) and
:mod:`kuailive_analysis.twin.population` (the latent draws of users and streamers, the
calendar), with every knob in :mod:`kuailive_analysis.twin.params`. Every planted relationship
is listed, with its evidence or as an assumption, in :mod:`kuailive_analysis.twin.assumptions`.

How the files are made: :mod:`kuailive_analysis.twin.pipeline` runs two passes over the days
with scratch files (:mod:`kuailive_analysis.twin.scratch`; the rooms are drawn onto disk by
:mod:`kuailive_analysis.twin.room_store`), so that memory holds one day's working set and a
few bytes per drawn room, user and streamer instead of every event of the window;
:mod:`kuailive_analysis.twin.sampling` imposes the sample rule below;
:mod:`kuailive_analysis.twin.writer` writes the CSV and truth files;
:mod:`kuailive_analysis.twin.output` checks the arguments and writes the folder atomically.

**The sample rule as conditioning.** The real sample holds users who clicked, commented, liked
and gifted at least once, and streamers that at least one of them clicked. The generator draws
more users and streamers than it needs (``user_overdraw``, ``streamer_overdraw``), simulates
everyone with the same process, keeps the first ``n_users`` users with a logged click and the
streamers those users clicked (their rooms and events; the rest are dropped, as the sampling
dropped them), and then conditions on "at least one gift, comment and like": a kept user
whose process produced none gets exactly one, on one of their own clicks chosen with
probability proportional to that click's expected gift count (comment / like probability).
For rare events this is the conditional distribution of the first event given that there is
one, so the added events look like every other event (no schedule, no special session).
``truth_users.csv`` flags the users concerned (``gift_added``, ``comment_added``,
``like_added``).

Counts scale linearly with ``scale`` (1.0 = real size: 23,772 users, 452,621 streamers, about
11.6M rooms, 4.9M clicks, 12.7M negatives). Output is byte-identical for the same
``(scale, seed)``: all randomness flows from ``numpy.random.default_rng`` streams derived from
the seed, and files are written in a deterministic order with pyarrow's CSV writer. The
two-pass generator (issue 24) writes the same bytes as the earlier all-in-memory generator (up
to commit bed50fe), so ``truth.json`` keeps the same generator version: each random stream is
consumed in the same order and amounts, however the work is split into days, streamer buckets
or chunks (``tests/test_twin_twopass.py`` holds the sha256 of every file of a small twin made
by the earlier generator).
"""

from __future__ import annotations

from kuailive_analysis.data.data_source import TRUTH_FILE, TRUTH_USERS_FILE
from kuailive_analysis.twin.output import TwinError, check_scale_seed, generate, partial_files
from kuailive_analysis.twin.params import TwinParams
from kuailive_analysis.twin.population import calendar_factors

__all__ = [
    "TRUTH_FILE",
    "TRUTH_USERS_FILE",
    "TwinError",
    "TwinParams",
    "calendar_factors",
    "check_scale_seed",
    "generate",
    "partial_files",
]
