"""Relief: its kinds, why it happens, and which class each reason belongs to — the one definition of each.

A relief *initiation* is the first event of an initiating kind in a case; later events it sets off (the
court's non-adoption after an adjustment request, the second-instance decision after an appeal or protest,
a repeat of the same kind) are its continuation. The class of an event follows from its reason
(``CLASS_OF_REASON``).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class ReliefType(IntEnum):
    VOLUNTARINESS_FINDING = 0  # prosecutor's plea hearing or the court finds the plea involuntary
    # Art. 201: the court asks the prosecutor to adjust an obviously improper recommendation
    ADJUSTMENT_REQUEST = 1
    NOT_ADOPTED = 2  # the court does not adopt the recommendation (sentences on its own or acquits)
    WITHDRAWAL = 3  # the defendant withdraws the plea (反悔)
    APPEAL = 4  # the defendant appeals (上诉)
    PROTEST = 5  # the procuratorate protests (抗诉)
    SECOND_INSTANCE = 6  # the second-instance decision


class ReliefClass(IntEnum):
    """What a relief initiation can change (v3): essential only when a lawful remedy exists for a real defect
    on file; otherwise non-essential, whatever the initiator feels."""

    NONESSENTIAL = 0  # no defect a lawful remedy can correct
    ESSENTIAL_AVOIDABLE = 1  # a real defect the system itself caused upstream
    ESSENTIAL_UNAVOIDABLE = 2  # a real defect not of the system's making


class Reason(IntEnum):
    """Why a relief event happened (the first that applies, in the order the stages test them)."""

    INVOLUNTARY_PRESSURE = 0  # signed under decisive coercion above the threshold
    # signed on false beliefs induced by the prosecutor's framing or misleading advice
    INVOLUNTARY_FRAMING = 1
    INVOLUNTARY_OWN_ERROR = 2  # signed on the defendant's own misjudgment of the trial outcome
    INNOCENT = 3  # the defendant is factually innocent
    MISCALIBRATED_REC = 4  # the recommendation is off the lawful sentence by more than the tolerance
    # an appeal against a lawful sentence above the agreement (no reasons): Art. 237 leaves nothing to change
    UNEXPLAINED_DEPARTURE = 5
    # the sentence is heavier than the lawful one by more than the tolerance (a defendant's appeal), or off it
    # either way (a procuratorate's protest)
    WRONG_SENTENCE = 6
    EXPLAINED_DEPARTURE = 7  # relief against a lawful departure the judgment explained
    # the recommendation was lawful; this judge's norm differs (no prosecutor-judge communication)
    JUDGE_NORM = 8
    TECHNICAL = 9  # technical appeal: to serve a short remainder in the detention house
    MISINFORMATION = 10  # withdrawal by a voluntary signer driven by wrong information
    PUNITIVE = 11  # punitive protest: a groundless appeal against a judgment that kept the agreement
    PERCEIVED_UNFAIRNESS = 12  # appeal without a defect (including one against a too lenient sentence)
    FALSE_ALARM = 13  # a voluntary plea found involuntary
    # the court would have adopted the recommendation without the extra discount the application target drove
    TARGET_DRIVEN = 14
    SUSPENSION_REFUSED = 15  # the agreement recommended suspension; the court imposed custody
    # a supervisory protest that the court did not adopt the recommendation, against a lawful sentence
    NOT_ADOPTED_PROTEST = 16


CLASS_OF_REASON: dict[Reason, ReliefClass] = {
    Reason.INVOLUNTARY_PRESSURE: ReliefClass.ESSENTIAL_AVOIDABLE,
    Reason.INVOLUNTARY_FRAMING: ReliefClass.ESSENTIAL_AVOIDABLE,
    Reason.INVOLUNTARY_OWN_ERROR: ReliefClass.ESSENTIAL_UNAVOIDABLE,
    Reason.INNOCENT: ReliefClass.ESSENTIAL_UNAVOIDABLE,
    Reason.MISCALIBRATED_REC: ReliefClass.ESSENTIAL_AVOIDABLE,
    Reason.UNEXPLAINED_DEPARTURE: ReliefClass.NONESSENTIAL,
    Reason.WRONG_SENTENCE: ReliefClass.ESSENTIAL_AVOIDABLE,
    Reason.EXPLAINED_DEPARTURE: ReliefClass.NONESSENTIAL,
    Reason.JUDGE_NORM: ReliefClass.NONESSENTIAL,
    Reason.TECHNICAL: ReliefClass.NONESSENTIAL,
    Reason.MISINFORMATION: ReliefClass.NONESSENTIAL,
    Reason.PUNITIVE: ReliefClass.NONESSENTIAL,
    Reason.PERCEIVED_UNFAIRNESS: ReliefClass.NONESSENTIAL,
    Reason.FALSE_ALARM: ReliefClass.NONESSENTIAL,
    Reason.TARGET_DRIVEN: ReliefClass.ESSENTIAL_AVOIDABLE,
    Reason.SUSPENSION_REFUSED: ReliefClass.ESSENTIAL_AVOIDABLE,
    Reason.NOT_ADOPTED_PROTEST: ReliefClass.NONESSENTIAL,
}
CLASS_CODE = np.array([CLASS_OF_REASON[r] for r in Reason], dtype=np.int8)  # reason code -> class code
ESSENTIAL = CLASS_CODE != ReliefClass.NONESSENTIAL  # reason code -> essential

# Kinds that start a relief procedure; the others always continue one.
INITIATING = (
    ReliefType.VOLUNTARINESS_FINDING,
    ReliefType.ADJUSTMENT_REQUEST,
    ReliefType.WITHDRAWAL,
    ReliefType.APPEAL,
    ReliefType.PROTEST,
)
INVOLUNTARY_REASON = np.array(
    [-1, Reason.INVOLUNTARY_PRESSURE, Reason.INVOLUNTARY_FRAMING, Reason.INVOLUNTARY_OWN_ERROR], dtype=np.int8
)  # involuntariness cause code (docket ``inv_cause``: 0 none, 1 pressure, 2 framing, 3 own error) -> reason
INVOLUNTARY_CAUSES = ("", "pressure", "framing", "own_error")  # docket ``inv_cause`` codes, by name
