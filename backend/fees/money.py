"""Pure fee arithmetic in integer fen: per-day proration, percentages, largest remainder."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HALF_UP_NOTE = "四舍五入到分"


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (away from zero) to an integer."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    n = abs(numerator)
    return sign * ((2 * n + denominator) // (2 * denominator))


def per_day(fee_fen: int, days: int, service_days: int) -> int:
    """fee × days ÷ service days of the period, rounded half up to the fen."""
    if service_days <= 0:
        raise ValueError("a period without service days has no per-day rate")
    return half_up(fee_fen * days, service_days)


def percent_of(amount_fen: int, percent: int) -> int:
    return half_up(amount_fen * percent, 100)


def exact(numerator: int, denominator: int) -> str:
    """The exact quotient shown to two decimals (display only; never used as money)."""
    value = Decimal(numerator) / Decimal(denominator)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split `total` (>= 0) in proportion to non-negative weights; the parts sum to `total`.

    Each part is floor(total × w / W); the fen left over go one each to the largest
    remainders, ties to the earlier weight, so the result is deterministic.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("total and weights must be non-negative")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError("cannot split a positive total over zero weights")
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class Line:
    kind: str
    description: str
    amount_fen: int
    basis: str | None = None  # for adjustment lines: the kind they correct


@dataclass
class Charge:
    """What one pupil owes for one period, before the statement exists."""

    base_fee_fen: int
    courses: list[tuple[str, int]]  # (course name, fee in fen)
    service_days: int  # of the whole period
    attended_days: int  # service days the pupil was enrolled in the period
    leave_days: int = 0  # approved refundable leave days among the attended ones
    exemption_percent: int = 0
    exemption_label: str = ""
    late_join: bool = False
    withdrawn: bool = False


def charge_lines(c: Charge) -> list[Line]:
    """The statement lines for a charge; their sum is what the family owes.

    Order matters: proration and leave refunds reduce the fee first, and the exemption
    waives its percentage of what remains, so a full exemption always leaves zero.
    """
    lines = [Line("base_fee", "课后服务费（本期）", c.base_fee_fen)]
    fee = c.base_fee_fen
    for name, amount in c.courses:
        lines.append(Line("course_fee", f"课程费：{name}", amount))
        fee += amount
    n = c.service_days
    if c.attended_days < n:
        charged = per_day(fee, c.attended_days, n)
        why = "本期中途加入" if c.late_join and not c.withdrawn else "本期中途退出"
        if c.late_join and c.withdrawn:
            why = "本期中途加入并退出"
        lines.append(
            Line(
                "proration",
                f"{why}：按服务日折算 {fee}分×{c.attended_days}÷{n}="
                f"{exact(fee * c.attended_days, n)}分，{HALF_UP_NOTE}为{charged}分",
                charged - fee,
            )
        )
    if c.leave_days:
        refund = per_day(fee, c.leave_days, n)
        lines.append(
            Line(
                "leave_refund",
                f"请假退费 {c.leave_days}天：{fee}分×{c.leave_days}÷{n}="
                f"{exact(fee * c.leave_days, n)}分，{HALF_UP_NOTE}为{refund}分",
                -refund,
            )
        )
    if c.exemption_percent:
        remaining = sum(line.amount_fen for line in lines)
        waived = percent_of(remaining, c.exemption_percent)
        lines.append(
            Line(
                "exemption",
                f"减免（{c.exemption_label}）{c.exemption_percent}%：{remaining}分×"
                f"{c.exemption_percent}%，{HALF_UP_NOTE}为{waived}分",
                -waived,
            )
        )
    return lines


def total(lines) -> int:
    return sum(line.amount_fen for line in lines)


def covered(paid_fen: int, refunded_fen: int, carried_out_fen: int = 0) -> int:
    """Money that counts against a statement: paid, less refunds and credit moved on."""
    return paid_fen - refunded_fen - carried_out_fen


def balance(total_fen: int, paid_fen: int, refunded_fen: int, carried_out_fen: int = 0) -> int:
    """Still to pay (> 0) or over-paid (< 0, a credit for the family)."""
    return total_fen - covered(paid_fen, refunded_fen, carried_out_fen)


def refundable(paid_fen: int, refunded_fen: int, carried_out_fen: int = 0) -> int:
    """No refund may exceed what was paid minus what was already refunded (and minus an
    over-payment already credited on a later statement, which the family has had)."""
    return max(paid_fen - refunded_fen - carried_out_fen, 0)
