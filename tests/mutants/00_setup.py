"""Wrong answers to lesson 00's exercise that its tests must catch."""

from mutation import Mutant

STABLE = "shifted = x - x.max(dim=-1, keepdim=True).values"

MUTANTS = [
    Mutant("softmax", "the textbook formula, no shift: exp overflows to inf/inf = nan",
           STABLE, "shifted = x"),
    Mutant("softmax", "shifts every row by the global maximum: a row far below it underflows to 0/0",
           STABLE, "shifted = x - x.max()"),
    Mutant("softmax", "shifts by the minimum: the largest exponent overflows",
           STABLE, "shifted = x - x.min(dim=-1, keepdim=True).values"),
    Mutant("softmax", "normalises along the first dimension instead of the last",
           "return weights / weights.sum(dim=-1, keepdim=True)",
           "return weights / weights.sum(dim=0, keepdim=True)"),
    Mutant("softmax", "max and sum over dim 0: right for a single vector only",
           "shifted = x - x.max(dim=-1, keepdim=True).values\n    weights = shifted.exp()\n"
           "    return weights / weights.sum(dim=-1, keepdim=True)",
           "shifted = x - x.max(dim=0, keepdim=True).values\n    weights = shifted.exp()\n"
           "    return weights / weights.sum(dim=0, keepdim=True)"),
    Mutant("softmax", "computes in float32 whatever the input dtype",
           "shifted = x - x.max(dim=-1, keepdim=True).values",
           "x = x.float()\n    shifted = x - x.max(dim=-1, keepdim=True).values"),
    Mutant("softmax", "hands the work to torch.softmax",
           "return weights / weights.sum(dim=-1, keepdim=True)",
           "return torch.softmax(x, dim=-1)"),
    # checks that teach (issue 32): a float64 input computed in float32 is caught by value, not only by dtype
    Mutant("softmax", "computes in float32 and casts the result back to the input's dtype",
           "weights = shifted.exp()\n    return weights / weights.sum(dim=-1, keepdim=True)",
           "weights = shifted.float().exp()  # float32 arithmetic\n"
           "    return (weights / weights.sum(dim=-1, keepdim=True)).to(x.dtype)", only="test_softmax_small"),
]

EQUIVALENTS = [
    Mutant("softmax", "amax, exp, and a multiplication by the reciprocal of the row sums",
           "shifted = x - x.max(dim=-1, keepdim=True).values\n    weights = shifted.exp()\n"
           "    return weights / weights.sum(dim=-1, keepdim=True)",
           "e = torch.exp(x - torch.amax(x, dim=-1, keepdim=True))\n"
           "    return e * (1.0 / torch.sum(e, dim=-1, keepdim=True))"),
]
