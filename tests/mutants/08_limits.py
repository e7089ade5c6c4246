"""Wrong answers to lesson 08's exercises that its tests must catch, and right ones written
another way that they must pass."""

from mutation import Mutant

SLOTS = "    slots = list(dict.fromkeys(re.findall(r\"\\{(\\w+)\\}\", template)))\n"
PRODUCT = "for words in itertools.product(*(lexicons[slot] for slot in slots))"
WILSON = ("    centre = (p + z * z / (2 * n)) / (1 + z * z / n)\n"
          "    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))\n")
ECE_SUM = ("    ece = 0.0\n"
           "    for b in range(n_bins):\n"
           "        inside = bins == b\n"
           "        if inside.any():\n"
           "            gap = (correct[inside].mean() - confidence[inside].mean()).abs()\n"
           "            ece += inside.double().mean().item() * gap.item()\n"
           "    return ece\n")
FIT_ON_VAL = "logits, labels = val_logits.detach().double(), val_labels"
ALPHAS = "alphas = torch.arange(1, steps + 1, dtype=x.dtype, device=x.device) / steps"
IG_RETURN = "return ((x - baseline) * gradients.mean(dim=0)).sum(dim=-1).detach()"
ORDER = "order = torch.argsort(attributions, descending=True, stable=True)"
AREA = "area = ((curve[1:] + curve[:-1]) / 2).mean().item()"

MUTANTS = [
    # expand_template
    Mutant("expand_template", "slots taken in alphabetical order, not in order of appearance", SLOTS,
           "    slots = sorted(set(re.findall(r\"\\{(\\w+)\\}\", template)))\n", visible=True),
    Mutant("expand_template", "words paired up (zip) instead of every combination", PRODUCT,
           "for words in zip(*(lexicons[slot] for slot in slots))", visible=True),
    Mutant("expand_template", "the first slot varies fastest",
           "dict(zip(slots, words))", "dict(zip(slots[::-1], words))", visible=True),
    Mutant("expand_template", "a slot used twice gets two independent words", SLOTS,
           "    slots = re.findall(r\"\\{(\\w+)\\}\", template)\n"),
    # invariance_failure_rate
    Mutant("invariance_failure_rate", "invariance counted on the label (a wrong prediction) instead of on the flip",
           "flips = (pred_perturbed != pred_original).double()", "flips = (pred_perturbed != labels).double()",
           visible=True),
    Mutant("invariance_failure_rate", "the normal (Wald) interval: zero width at a rate of 0", WILSON,
           "    centre, half = p, z * math.sqrt(p * (1 - p) / n)\n", visible=True),
    Mutant("invariance_failure_rate", "z fixed at 1.96 whatever is asked", "p = flips.mean().item()",
           "p, z = flips.mean().item(), 1.96"),
    Mutant("invariance_failure_rate", "accuracy of the original predictions, not the perturbed ones",
           "accuracy = (pred_perturbed == labels)", "accuracy = (pred_original == labels)"),
    # expected_calibration_error
    Mutant("expected_calibration_error", "each non-empty bin weighted equally, not by its samples", ECE_SUM,
           "    gaps = [(correct[bins == b].mean() - confidence[bins == b].mean()).abs().item()\n"
           "            for b in range(n_bins) if (bins == b).any()]\n"
           "    return sum(gaps) / len(gaps)\n", visible=True),
    Mutant("expected_calibration_error", "confidence taken as P(last class), not the predicted class's probability",
           "confidence, prediction = probs.double().max(dim=-1)",
           "confidence, prediction = probs.double()[:, -1], probs.double().argmax(dim=-1)", visible=True),
    Mutant("expected_calibration_error", "squared gaps", "gap = (correct[inside].mean() - confidence[inside].mean()).abs()",
           "gap = (correct[inside].mean() - confidence[inside].mean()) ** 2", visible=True),
    Mutant("expected_calibration_error", "always 10 bins, whatever n_bins says",
           "inner_edges = torch.arange(1, n_bins, dtype=torch.float64) / n_bins",
           "inner_edges = torch.arange(1, 10, dtype=torch.float64) / 10"),
    # temperature_scaling
    Mutant("temperature_scaling", "the temperature fitted on the test split", FIT_ON_VAL,
           "logits, labels = test_logits.detach().double(), test_labels"),
    Mutant("temperature_scaling", "logits multiplied by T instead of divided",
           "loss = F.cross_entropy(logits / log_t.exp(), labels)", "loss = F.cross_entropy(logits * log_t.exp(), labels)",
           visible=True),
    Mutant("temperature_scaling", "T kept at 1 or above (only ever softening)", "T = log_t.exp().item()",
           "T = max(log_t.exp().item(), 1.0)"),
    Mutant("temperature_scaling", "the test NLL 'before' computed with the fitted T",
           "return T, F.cross_entropy(test, test_labels).item()", "return T, F.cross_entropy(test / T, test_labels).item()",
           visible=True),
    # integrated_gradients
    Mutant("integrated_gradients", "without the baseline difference: x . mean gradient", IG_RETURN,
           "return (x * gradients.mean(dim=0)).sum(dim=-1).detach()", visible=True),
    Mutant("integrated_gradients", "the wrong number of steps: always 50", ALPHAS,
           "alphas = torch.arange(1, 51, dtype=x.dtype, device=x.device) / 50"),
    Mutant("integrated_gradients", "the left Riemann sum (alpha = 0 .. (m-1)/m)", ALPHAS,
           "alphas = torch.arange(0, steps, dtype=x.dtype, device=x.device) / steps", visible=True),
    Mutant("integrated_gradients", "steps + 1 points from 0 to 1 (linspace)", ALPHAS,
           "alphas = torch.linspace(0, 1, steps + 1, dtype=x.dtype, device=x.device)", visible=True),
    Mutant("integrated_gradients", "gradients summed over the path instead of averaged", IG_RETURN,
           "return ((x - baseline) * gradients.sum(dim=0)).sum(dim=-1).detach()", visible=True),
    # deletion_curve
    Mutant("deletion_curve", "the least important tokens removed first", ORDER,
           "order = torch.argsort(attributions, descending=False, stable=True)", visible=True),
    Mutant("deletion_curve", "the area as the plain mean of the curve", AREA, "area = curve.mean().item()", visible=True),
    Mutant("deletion_curve", "only the k-th token removed at step k, not the top k",
           "variants[k, order[:k]] = replacement_id", "variants[k, order[k - 1]] = replacement_id", visible=True),
    Mutant("deletion_curve", "ranked by |attribution|: a token that argues against the class removed early", ORDER,
           "order = torch.argsort(attributions.abs(), descending=True, stable=True)"),
]

EQUIVALENTS = [
    Mutant("expand_template", "one slot at a time, with str.replace",
           "    return [template.format_map(dict(zip(slots, words)))\n"
           "            " + PRODUCT + "]\n",
           "    sentences = [template]\n"
           "    for slot in slots:\n"
           "        sentences = [s.replace(\"{\" + slot + \"}\", w) for s in sentences for w in lexicons[slot]]\n"
           "    return sentences\n"),
    Mutant("invariance_failure_rate", "the Wilson interval in its other closed form", WILSON,
           "    root = z * math.sqrt(z * z + 4 * n * p * (1 - p))\n"
           "    centre, half = (2 * n * p + z * z) / (2 * (n + z * z)), root / (2 * (n + z * z))\n"),
    Mutant("expected_calibration_error", "bins by ceil, sums by scatter_add", ECE_SUM,
           "    bins = ((confidence * n_bins).ceil().long() - 1).clamp(0, n_bins - 1)\n"
           "    count = torch.zeros(n_bins, dtype=torch.float64).scatter_add_(0, bins, torch.ones_like(confidence))\n"
           "    acc = torch.zeros(n_bins, dtype=torch.float64).scatter_add_(0, bins, correct)\n"
           "    conf = torch.zeros(n_bins, dtype=torch.float64).scatter_add_(0, bins, confidence)\n"
           "    return ((acc - conf).abs().sum() / len(labels)).item()\n"),
    Mutant("temperature_scaling", "a golden-section search over log T",
           "    optimizer.step(nll)\n    T = log_t.exp().item()\n",
           "    lo, hi, phi = -5.0, 5.0, (5 ** 0.5 - 1) / 2\n"
           "    loss = lambda s: F.cross_entropy(logits / math.exp(s), labels).item()\n"
           "    for _ in range(200):\n"
           "        a, b = hi - phi * (hi - lo), lo + phi * (hi - lo)\n"
           "        lo, hi = (lo, b) if loss(a) < loss(b) else (a, hi)\n"
           "    T = math.exp((lo + hi) / 2)\n"),
    Mutant("integrated_gradients", "one point of the path at a time",
           "    path = (baseline + alphas[:, None, None] * (x - baseline)).detach().requires_grad_(True)\n"
           "    (gradients,) = torch.autograd.grad(f(path).sum(), path)\n",
           "    grads = []\n"
           "    for a in alphas:\n"
           "        point = (baseline + a * (x - baseline)).detach().requires_grad_(True)\n"
           "        grads.append(torch.autograd.grad(f(point[None]).sum(), point)[0])\n"
           "    gradients = torch.stack(grads)\n"),
    Mutant("deletion_curve", "a cumulative mask and torch.trapezoid",
           "    variants = ids.repeat(n + 1, 1)\n"
           "    for k in range(1, n + 1):\n"
           "        variants[k, order[:k]] = replacement_id\n",
           "    rank = torch.empty_like(order)\n"
           "    rank[order] = torch.arange(n)\n"
           "    removed = rank[None, :] < torch.arange(n + 1)[:, None]\n"
           "    variants = torch.where(removed, torch.full_like(ids, replacement_id), ids)\n"),
    Mutant("deletion_curve", "the area with torch.trapezoid", AREA,
           "area = torch.trapezoid(curve, dx=1.0 / n).item()"),
]
