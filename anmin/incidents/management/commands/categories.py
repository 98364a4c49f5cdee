"""`anmin categories train | suggest "text" | evaluate`: the description-based category suggestions."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anmin.core.management.commands.bench import positive_int
from anmin.core.validation import clean_text
from anmin.incidents import suggest


class Command(BaseCommand):
    help = (
        "类别推荐: `anmin categories train` trains the suggestion model on the closed incidents' descriptions "
        "and stores it (the intake page and the API use the newest); "
        '`anmin categories suggest "text"` prints the three suggestions for a description with the words behind '
        "each; `anmin categories evaluate` trains on 80 %% of the closed incidents and prints top-1/top-3 "
        "accuracy on the other 20 %% (nothing is stored)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=["train", "suggest", "evaluate"])
        parser.add_argument("text", nargs="?", help="suggest: the description (简要警情)")
        parser.add_argument(
            "--per-category",
            type=positive_int,
            default=suggest.PER_CATEGORY,
            help=f"train, evaluate: newest descriptions read per category (default {suggest.PER_CATEGORY})",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, verb: str, text: str | None, per_category: int, json: bool, **options: Any):
        if verb == "train":
            row = suggest.train(per_category=per_category)
            result = {"trained_on": row.trained_on, "vocabulary": row.vocabulary, "trained_at": row.trained_at}
            if not json:
                self.stdout.write(
                    f"category model trained on {row.trained_on} descriptions, {row.vocabulary} words "
                    f"({row.trained_at:%Y-%m-%d %H:%M})"
                )
        elif verb == "evaluate":
            result = suggest.holdout_evaluation(per_category=per_category)
            if not json:
                self.stdout.write(
                    f"trained on {result['train']}, held out {result['count']}: "
                    f"top-1 {result['top1']:.1%}, top-3 {result['top3']:.1%}, "
                    f"no known word {result['no_known_word']}"
                )
        else:
            if text is None:
                raise CommandError('suggest needs the description: anmin categories suggest "text"')
            try:
                text = clean_text(text, "text", "简要警情", suggest.MAX_TEXT, required=True)
            except Exception as exc:  # an ActionError: say which, no traceback
                raise CommandError(str(exc)) from exc
            result = suggest.suggest(text).as_dict()
            if not json:
                self._print_suggestions(result)
        if json:
            self.stdout.write(_dumps(result))

    def _print_suggestions(self, result: dict) -> None:
        if result["source"] == "names":
            self.stdout.write("no trained model yet (anmin categories train): matched by names and keywords only")
        else:
            self.stdout.write(f"model trained on {result['trained_on']} descriptions")
        if not result["suggestions"]:
            self.stdout.write("no suggestion: the text has no word the model knows, nor a category's name or keyword")
        for s in result["suggestions"]:
            flag = "  八类严重暴力" if s["serious_violence"] else ""
            self.stdout.write(f"  {s['code']} {s['name']}  {s['score']:.3f}  {' '.join(s['words'])}{flag}")


def _dumps(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, default=str)
