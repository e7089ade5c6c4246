"""Wrong answers to lesson 07's exercises that its tests must catch, and right ones written
another way that they must pass."""

from mutation import Mutant

FREEZE = "    for p in model.parameters():\n        p.requires_grad_(False)\n"
WRAP = ("    for parent in list(model.modules()):\n"
        "        for name, child in list(parent.named_children()):\n"
        "            if name in targets and isinstance(child, nn.Linear):\n"
        "                setattr(parent, name, LoRALinear(child, r, alpha))\n")

MUTANTS = [
    # parameter_count
    Mutant("parameter_count", "the attention projections' biases forgotten", "attention = 4 * (d * d + d)",
           "attention = 4 * d * d", visible=True),
    Mutant("parameter_count", "the segment table forgotten",
           "embeddings = (cfg.vocab_size + cfg.max_len + cfg.n_segments) * d",
           "embeddings = (cfg.vocab_size + cfg.max_len) * d", visible=True),
    Mutant("parameter_count", "GPT's tied output layer counted as a matrix of its own",
           "final_norm = 2 * d if cfg.pre_norm else 0", "final_norm = 2 * d + cfg.vocab_size * d if cfg.pre_norm else 0"),
    Mutant("parameter_count", "the embeddings' LayerNorm counted in a pre-norm model too",
           "(0 if cfg.pre_norm else 2 * d)", "2 * d"),
    Mutant("parameter_count", "the feed-forward width taken as 4 d", "d, d_ff = cfg.d_model, cfg.d_ff",
           "d, d_ff = cfg.d_model, 4 * cfg.d_model", visible=True),
    # forward_flops
    Mutant("forward_flops", "attention's QKᵀ and AV left out", "attention = 2 * 2 * B * T * T * d", "attention = 0",
           visible=True),
    Mutant("forward_flops", "a multiply-add counted as one FLOP", "projections = 4 * 2 * B * T * d * d",
           "projections = 4 * B * T * d * d", visible=True),
    Mutant("forward_flops", "the output projection forgotten (three projections)", "projections = 4 * 2 * B * T * d * d",
           "projections = 3 * 2 * B * T * d * d", visible=True),
    Mutant("forward_flops", "attention's products counted for one head's width only",
           "attention = 2 * 2 * B * T * T * d", "attention = 2 * 2 * B * T * T * (d // cfg.n_heads)", visible=True),
    Mutant("forward_flops", "lm_head ignored", "head = 2 * B * T * d * cfg.vocab_size if lm_head else 0", "head = 0"),
    # training_memory
    Mutant("training_memory", "AdamW keeps one tensor per weight, not two", "memory[\"optimizer\"] += 2 * size",
           "memory[\"optimizer\"] += size", visible=True),
    Mutant("training_memory", "frozen weights counted as having gradients",
           "        if p.requires_grad:\n            memory[\"gradients\"] += size\n",
           "        memory[\"gradients\"] += size\n        if p.requires_grad:\n"),
    Mutant("training_memory", "every parameter taken as 4 bytes (float32)", "size = p.numel() * p.element_size()",
           "size = p.numel() * 4"),
    Mutant("training_memory", "a tied parameter counted once per module that uses it",
           "for p in model.parameters():", "for p in model.parameters(remove_duplicate=False):"),
    # distillation_loss
    Mutant("distillation_loss", "KL in the wrong direction: KL(student || teacher)",
           "soft = F.kl_div(student, teacher, reduction=\"batchmean\") * T * T",
           "soft = F.kl_div(teacher.log(), student.exp(), reduction=\"batchmean\") * T * T", visible=True),
    Mutant("distillation_loss", "T² missing", "soft = F.kl_div(student, teacher, reduction=\"batchmean\") * T * T",
           "soft = F.kl_div(student, teacher, reduction=\"batchmean\")", visible=True),
    Mutant("distillation_loss", "softmax instead of log_softmax for the student",
           "student = F.log_softmax(student_logits.float() / T, dim=-1)",
           "student = F.softmax(student_logits.float() / T, dim=-1)", visible=True),
    Mutant("distillation_loss", "KL averaged over the classes too (reduction='mean')", "reduction=\"batchmean\"",
           "reduction=\"mean\"", visible=True),
    Mutant("distillation_loss", "alpha weighs the hard term", "return alpha * soft + (1 - alpha) * hard",
           "return (1 - alpha) * soft + alpha * hard", visible=True),
    Mutant("distillation_loss", "the teacher's logits not detached: gradient flows into the teacher",
           "teacher_logits.detach().float()", "teacher_logits.float()"),
    Mutant("distillation_loss", "the hard cross-entropy on the softened logits",
           "hard = F.cross_entropy(student_logits.float(), labels)",
           "hard = F.cross_entropy(student_logits.float() / T, labels)"),
    Mutant("distillation_loss", "the soft term computed in the logits' dtype (bf16 under autocast)",
           "    teacher = F.softmax(teacher_logits.detach().float() / T, dim=-1)\n"
           "    student = F.log_softmax(student_logits.float() / T, dim=-1)\n",
           "    teacher = F.softmax(teacher_logits.detach() / T, dim=-1)\n"
           "    student = F.log_softmax(student_logits / T, dim=-1)\n"),
    Mutant("distillation_loss", "the loss returned in the logits' dtype (bf16 under autocast)",
           "return alpha * soft + (1 - alpha) * hard", "return (alpha * soft + (1 - alpha) * hard).to(student_logits.dtype)"),
    # lora_linear
    Mutant("lora_linear", "B initialised randomly: the wrapped model changes before any training",
           "self.B = nn.Parameter(torch.zeros(base.out_features, r, **like))",
           "self.B = nn.Parameter(torch.randn(base.out_features, r, **like))", visible=True),
    Mutant("lora_linear", "the alpha / r scaling missing", "return self.base(x) + (x @ self.A.T @ self.B.T) * self.scaling",
           "return self.base(x) + (x @ self.A.T @ self.B.T)", visible=True),
    Mutant("lora_linear", "merge() forgets the scaling", "base.weight + self.scaling * (self.B @ self.A)",
           "base.weight + self.B @ self.A", visible=True),
    Mutant("lora_linear", "the base layer left trainable",
           "        for p in base.parameters():\n            p.requires_grad_(False)\n", "", visible=True),
    Mutant("lora_linear", "A initialised at zero too: no gradient ever reaches B",
           "nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))", "nn.init.zeros_(self.A)"),
    Mutant("lora_linear", "A drawn from a standard normal: corrections far larger than nn.Linear's scale",
           "nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))", "nn.init.normal_(self.A)"),
    Mutant("lora_linear", "A and B created in float32 whatever the base's dtype",
           "like = dict(device=base.weight.device, dtype=base.weight.dtype)", "like = dict(device=base.weight.device)"),
    Mutant("lora_linear", "scaling r / alpha", "self.scaling = base, r, alpha / r", "self.scaling = base, r, r / alpha",
           visible=True),
    # add_lora
    Mutant("add_lora", "the rest of the model left trainable", FREEZE, "", visible=True),
    Mutant("add_lora", "every linear layer wrapped, whatever its name", "if name in targets and isinstance(child, nn.Linear):",
           "if isinstance(child, nn.Linear):", visible=True),
    Mutant("add_lora", "frozen again after wrapping: the LoRA matrices cannot train", "    return model\n",
           FREEZE + "    return model\n", visible=True),
    Mutant("add_lora", "only the model's own children looked at", "for parent in list(model.modules()):",
           "for parent in [model]:", visible=True),
    Mutant("add_lora", "any module named like a target wrapped, linear or not",
           "if name in targets and isinstance(child, nn.Linear):", "if name in targets:"),
]

EQUIVALENTS = [
    Mutant("parameter_count", "a block's parameters added up in one expression",
           "block = attention + feed_forward + 2 * (2 * d)", "block = 4 * d * d + 2 * d * d_ff + 9 * d + d_ff"),
    Mutant("forward_flops", "factored as 2 B T times the multiply-adds per token",
           "    return cfg.n_layers * (projections + attention + feed_forward) + head\n",
           "    per_token = cfg.n_layers * (4 * d * d + 2 * T * d + 2 * d * cfg.d_ff) + (d * cfg.vocab_size if lm_head else 0)\n"
           "    return 2 * B * T * per_token\n"),
    Mutant("training_memory", "sizes from Tensor.nbytes", "size = p.numel() * p.element_size()", "size = p.nbytes"),
    Mutant("distillation_loss", "KL written out with the teacher's probabilities",
           "soft = F.kl_div(student, teacher, reduction=\"batchmean\") * T * T",
           "soft = (teacher * (teacher.clamp_min(1e-30).log() - student)).sum(dim=-1).mean() * T ** 2"),
    Mutant("lora_linear", "the low-rank path with F.linear",
           "return self.base(x) + (x @ self.A.T @ self.B.T) * self.scaling",
           "return self.base(x) + F.linear(F.linear(x, self.A), self.B) * self.scaling"),
    Mutant("lora_linear", "A drawn from a normal with std 0.02", "nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))",
           "nn.init.normal_(self.A, std=0.02)"),
    Mutant("add_lora", "found with named_modules and set through get_submodule", WRAP,
           "    for full_name, child in list(model.named_modules()):\n"
           "        parent_name, _, name = full_name.rpartition(\".\")\n"
           "        if name in targets and isinstance(child, nn.Linear):\n"
           "            setattr(model.get_submodule(parent_name), name, LoRALinear(child, r, alpha))\n"),
]
