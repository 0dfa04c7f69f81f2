/**
 * train.py of a hand-off project: sentence-transformers 3.x + PEFT LoRA with the studio's loss — InfoNCE over
 * in-batch and hard negatives on cosine similarity (MultipleNegativesRankingLoss, scale = 1/τ; the symmetric
 * variant when the expert was trained so), AdamW with linear warm-up and decay, global-norm clipping — on
 * the exported pairs, queries under the expert's prompts. One script for one GPU (python / accelerate launch)
 * and many (accelerate launch --multi_gpu, torchrun --nproc_per_node N): each process takes batches of the
 * studio's size, so every loss term sees the same number of negatives as in the studio.
 */
import { pyDocText, pyValue, type PyValue } from './py';
import type { HandoffSettings } from './spec';

/** train.py's CONFIG: the expert's recipe, every key a setting the studio used. */
export function trainConfig(s: HandoffSettings): { [k: string]: PyValue } {
  return {
    expert: s.expertName,
    studio_base_model: s.studioBase,
    base_model: s.baseModel,
    max_seq_length: s.maxSeqLength,
    lora_r: s.rank,
    lora_alpha: s.alpha,
    lora_dropout: s.dropout,
    target_modules: s.targetModules,
    learning_rate: s.lr,
    weight_decay: s.weightDecay,
    adam_beta1: s.beta1,
    adam_beta2: s.beta2,
    adam_epsilon: s.eps,
    warmup_steps: s.warmupSteps,
    max_steps: s.steps,
    batch_size: s.batchSize,
    hard_negatives: s.hardNegatives,
    scale: s.scale,
    symmetric: s.symmetric,
    max_grad_norm: s.maxGradNorm,
    seed: s.seed,
    prompt_kind: s.promptKind,
    query_format: s.queryFormat,
    instructions: s.instructions,
    passage_template: s.passageTemplate,
  };
}

export function trainPy(s: HandoffSettings): string {
  return `#!/usr/bin/env python3
"""Train the STM Studio expert "${pyDocText(s.expertName)}" at scale: LoRA on ${pyDocText(s.baseModel)}.

The studio's recipe (CONFIG below): InfoNCE with in-batch and hard negatives on cosine similarity
(MultipleNegativesRankingLoss, scale = 1/temperature${s.symmetric ? ', symmetric' : ''}), AdamW with linear
warm-up then linear decay, gradient clipping at max_grad_norm, LoRA r/alpha/dropout on target_modules.

One GPU:   accelerate launch train.py          (or: python train.py)
Many GPUs: accelerate launch --multi_gpu --num_processes N train.py
           torchrun --nproc_per_node N train.py
Each process takes batches of batch_size pairs (the studio's), so every loss term has the studio's number
of negatives; the pairs seen per optimiser step grow N-fold, and max_steps shrinks N-fold by default
(the same pairs in all; --max-steps overrides).
"""
import argparse
import json
import math
import os
import random
import re
import sys

CONFIG = ${pyValue(trainConfig(s))}


def fill(template, text):
    """The studio's applyTemplate for a text without a title."""
    return re.sub(r"\\{title\\}\\s*", "", template).replace("{text}", text).strip()


def query_template(instruction):
    if instruction is None:
        return CONFIG["query_format"]
    return CONFIG["query_format"].replace("{instruction}", instruction)


def read_pairs(path, hard_negatives, seed):
    """pairs JSONL {query, positive, negatives} -> columns anchor, positive, negative_1..k (templated)."""
    rng = random.Random(seed)
    instructions = CONFIG["instructions"]
    cols = {"anchor": [], "positive": []}
    for j in range(hard_negatives):
        cols[f"negative_{j + 1}"] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                p = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not a JSON object ({e})")
            if not isinstance(p, dict) or not isinstance(p.get("query"), str) or not isinstance(p.get("positive"), str):
                sys.exit(f"{path}:{n}: needs string fields query and positive")
            negatives = p.get("negatives") or []
            if len(negatives) < hard_negatives:
                sys.exit(f"{path}:{n}: {len(negatives)} negatives, {hard_negatives} needed (lower --hard-negatives)")
            # GP-n: one instruction drawn per query; fixed: the one; none: the plain query template
            instruction = rng.choice(instructions) if instructions else None
            cols["anchor"].append(fill(query_template(instruction), p["query"]))
            cols["positive"].append(fill(CONFIG["passage_template"], p["positive"]))
            for j in range(hard_negatives):
                cols[f"negative_{j + 1}"].append(fill(CONFIG["passage_template"], negatives[j]))
    if len(cols["anchor"]) < 2:
        sys.exit(f"{path}: {len(cols['anchor'])} pairs; at least 2 are needed")
    return cols


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", default="data/train.jsonl", help="pairs JSONL (default data/train.jsonl)")
    ap.add_argument("--base-model", default=CONFIG["base_model"], help="hub id or folder (default %(default)s)")
    ap.add_argument("--output", default="output", help="checkpoints, then output/final (the adapter)")
    ap.add_argument("--max-steps", type=int, default=None, help="optimiser steps (default max_steps / processes)")
    ap.add_argument("--batch-size", type=int, default=CONFIG["batch_size"], help="pairs per batch per process")
    ap.add_argument("--hard-negatives", type=int, default=CONFIG["hard_negatives"])
    ap.add_argument("--bf16", action="store_true", help="bfloat16 mixed precision (Ampere or newer)")
    ap.add_argument("--trust-remote-code", action="store_true", help="let the base model run its own code")
    ap.add_argument("--save-merged", default=None, help="also write base + LoRA merged (for mergekit) here")
    args = ap.parse_args()

    from datasets import Dataset
    from peft import LoraConfig, TaskType
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
        losses,
    )

    world = int(os.environ.get("WORLD_SIZE", "1"))
    steps = args.max_steps or max(1, math.ceil(CONFIG["max_steps"] / world))
    warmup = min(CONFIG["warmup_steps"], int(steps * 0.1))

    model = SentenceTransformer(args.base_model, trust_remote_code=args.trust_remote_code)
    model.max_seq_length = CONFIG["max_seq_length"]
    model.add_adapter(
        LoraConfig(
            task_type=TaskType.FEATURE_EXTRACTION,
            r=CONFIG["lora_r"],
            lora_alpha=CONFIG["lora_alpha"],
            lora_dropout=CONFIG["lora_dropout"],
            target_modules=CONFIG["target_modules"],
            bias="none",
        )
    )
    train = Dataset.from_dict(read_pairs(args.pairs, args.hard_negatives, CONFIG["seed"]))

    # InfoNCE: softmax over the batch's positives (in-batch negatives) and its hard negatives, cosine * scale
    if CONFIG["symmetric"]:
        loss = losses.MultipleNegativesSymmetricRankingLoss(model, scale=CONFIG["scale"])
    else:
        loss = losses.MultipleNegativesRankingLoss(model, scale=CONFIG["scale"])

    targs = SentenceTransformerTrainingArguments(
        output_dir=args.output,
        max_steps=steps,
        per_device_train_batch_size=args.batch_size,
        learning_rate=CONFIG["learning_rate"],
        weight_decay=CONFIG["weight_decay"],
        adam_beta1=CONFIG["adam_beta1"],
        adam_beta2=CONFIG["adam_beta2"],
        adam_epsilon=CONFIG["adam_epsilon"],
        optim="adamw_torch",
        lr_scheduler_type="linear",
        warmup_steps=warmup,
        max_grad_norm=CONFIG["max_grad_norm"],
        seed=CONFIG["seed"],
        data_seed=CONFIG["seed"],
        dataloader_drop_last=True,
        bf16=args.bf16,
        logging_steps=10,
        save_steps=max(1, steps // 10),
        save_total_limit=2,
        report_to="none",
    )
    trainer = SentenceTransformerTrainer(model=model, args=targs, train_dataset=train, loss=loss)
    trainer.train()
    if trainer.is_world_process_zero():
        final = os.path.join(args.output, "final")
        model.save_pretrained(final)
        print(f"adapter written to {final} (load it with SentenceTransformer({final!r}))")
        if args.save_merged:
            save_merged(args.base_model, final, args.save_merged, args.trust_remote_code)


def save_merged(base_model, adapter_dir, out, trust_remote_code):
    """Base weights with the LoRA update folded in (W + alpha/r * B A): a full model mergekit can merge."""
    from peft import PeftModel
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(base_model, trust_remote_code=trust_remote_code)
    model[0].auto_model = PeftModel.from_pretrained(model[0].auto_model, adapter_dir).merge_and_unload()
    model.save_pretrained(out)
    print(f"merged model written to {out}")


if __name__ == "__main__":
    main()
`;
}
