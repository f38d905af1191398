"""`/kudos leaderboard` reads the recognition tallies once they are built, the history before."""

from __future__ import annotations

from sqlalchemy import delete, update

from storage.recognition.tallies import build
from storage.schema.tallies import RecognitionTallyRow, TallyBuildRow


def test_the_leaderboard_answers_from_the_tallies_once_built(slack, store):
    build(store.engine, "UTC")  # the settings' zone (PLAUDIT_TIMEZONE unset)
    slack.command("UANA", "<@UBEN> 30 for the launch #ownership")
    slack.command("UCY", "<@UDEE> 10 for tea")
    board = slack.command("UANA", "leaderboard month").json()["text"]
    assert "<@UBEN> — 30 points" in board and "<@UDEE> — 10 points" in board
    assert board.index("<@UBEN>") < board.index("<@UDEE>")
    only = slack.command("UANA", "leaderboard year #ownership").json()["text"]
    assert "<@UBEN>" in only and "<@UDEE>" not in only

    # the answer is the table's: a changed row shows (and `plaudit ledger verify` would name it)
    T = RecognitionTallyRow
    with store.uow() as uow:
        uow.session.execute(
            update(T).where(T.grain == "month", T.role == "received").values(points=T.points + 50)
        )
        uow.commit()
    tampered = slack.command("UANA", "leaderboard month").json()["text"]
    assert "<@UBEN> — 80 points" in tampered

    # not built (say, a build under way): the history answers
    with store.uow() as uow:
        uow.session.execute(delete(TallyBuildRow))
        uow.commit()
    history = slack.command("UANA", "leaderboard month").json()["text"]
    assert "<@UBEN> — 30 points" in history
