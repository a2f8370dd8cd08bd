"""Round lifecycle use cases: plan import, create → freeze → ceremony → run → sign →
countersign (publish), and result lookup.

Keyword-only functions; each use case that writes commits exactly one transaction and
appends every transition to the hash-chained audit log; reads commit nothing. The
publication folder is written after a commit, from the ``publishing`` state, so that a
crash while writing it is finished by publishing again (never a published round the
folder lacks).

States (``models.State``)::

    created --freeze--> frozen --close_ceremony--> ready --run--> drawn
        --sign (district)--> signed --countersign (notary)--> published
    signed --countersign with a folder--> publishing --publish (folder written)--> published
    created --freeze (nobody to place)--> empty

Steps in any other order raise ``RoundError('out_of_order')``; every step on a
published round raises ``RoundError('round_published')`` (409).

How one round runs. :class:`allocation.SeasonSteps` takes a stage's rounds one at a
time. The freeze and the run step through the earlier rounds by adopting each one's
published bundle (its assignments and tickets; nothing is drawn again, and each
earlier round's inputs must still give the input root published for it), then build
this round's inputs; the run draws it with this round's contributions. The frozen
inputs (policy text and scenario mapping) are stored as canonical JSON with their
SHA-256, and the run refuses unless they still give the published input root.

Nobody dropped. The freeze of a round from the database refuses while any verified
applicant of the district has no routing decision for the stage
(``applicants_undecided``, naming them), and stores the round's accounting: every
applicant in the round's inputs, placed earlier, or listed with the rule why not.

Modules, one job each: ``plans``, ``inputs`` (staging, the scenario from the database,
the freeze), ``ceremony`` (commitments, reveals, contributions, beacon, keys and
statements), ``lifecycle`` (run, sign, countersign, publish) and ``results`` (results,
statistics, accounting, proofs); ``common`` holds what they share. Every use case is
re-exported here: ``from paiwei.rounds import service; service.freeze(...)``.
"""

from paiwei.rounds.service.ceremony import (
    BEACON,
    KEY_CHANGE_FORMAT,
    KEY_CHANGE_TAG,
    SIGNERS,
    change_key,
    check_freeze_statement,
    check_statement_signature,
    close_ceremony,
    contribute,
    contribute_beacon,
    pin_keys,
    record_commitment,
    reveal,
    season_keys,
    sign_statement,
    statement_digest,
    waive,
)
from paiwei.rounds.service.common import (
    DISTRICT,
    FREEZE_FORMAT,
    FREEZE_TAG,
    NOTARY,
    RESULT_CHUNK,
    SALT_TAG,
    Progress,
    contributions_of,
    district_code,
    district_slug,
    find,
    get_or_raise,
    require_district,
    season_id,
    season_rounds,
)
from paiwei.rounds.service.inputs import (
    create,
    freeze,
    prepare_freeze,
    scenario_from_db,
    stage_inputs,
)
from paiwei.rounds.service.lifecycle import (
    countersign,
    publication_of,
    publish,
    run,
    season_of,
    sign,
    write_folder,
)
from paiwei.rounds.service.plans import get_plan, import_plan
from paiwei.rounds.service.results import (
    FROZEN_STATES,
    STATISTICS_COLUMNS,
    accounting_of,
    inclusion_proofs,
    list_rounds,
    my_result,
    published_results,
    published_seeds,
    result_for,
    round_inclusion_proofs,
    round_results,
    round_titles,
    statistics,
    statistics_csv,
    write_proofs,
)

__all__ = [
    "BEACON",
    "DISTRICT",
    "FREEZE_FORMAT",
    "FREEZE_TAG",
    "FROZEN_STATES",
    "KEY_CHANGE_FORMAT",
    "KEY_CHANGE_TAG",
    "NOTARY",
    "RESULT_CHUNK",
    "SALT_TAG",
    "SIGNERS",
    "STATISTICS_COLUMNS",
    "Progress",
    "accounting_of",
    "change_key",
    "check_freeze_statement",
    "check_statement_signature",
    "close_ceremony",
    "contribute",
    "contribute_beacon",
    "contributions_of",
    "countersign",
    "create",
    "district_code",
    "district_slug",
    "find",
    "freeze",
    "get_or_raise",
    "get_plan",
    "import_plan",
    "inclusion_proofs",
    "list_rounds",
    "my_result",
    "pin_keys",
    "prepare_freeze",
    "publication_of",
    "publish",
    "published_results",
    "published_seeds",
    "record_commitment",
    "require_district",
    "result_for",
    "reveal",
    "round_inclusion_proofs",
    "round_results",
    "round_titles",
    "run",
    "scenario_from_db",
    "season_id",
    "season_keys",
    "season_of",
    "season_rounds",
    "sign",
    "sign_statement",
    "stage_inputs",
    "statement_digest",
    "statistics",
    "statistics_csv",
    "waive",
    "write_folder",
    "write_proofs",
]
