"""Test triage on labelled mentions before trusting it: each item goes through the same
classification and routing as a polled mention, and the routes are compared with the labels."""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from triage import learned, selectors


class Command(BaseCommand):
    help = ("Route labelled mentions (a JSON array or JSON Lines file of items with text, route, and optionally "
            "service, safeguarding, followers, name) as polled mentions are routed, and print route accuracy, "
            "per-route precision and recall, macro-F1, safeguarding recall and precision, service accuracy and "
            "the confusion matrix. --holdout evaluates the held-back fifth of the shipped corpus instead.")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="A .json or .jsonl file of labelled items.")
        parser.add_argument("--holdout", action="store_true",
                            help="Evaluate the held-back fifth of the corpus shipped in triage/corpus.")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the figures as JSON.")
        parser.add_argument("--show-errors", type=int, default=0, metavar="N",
                            help="Also print up to N misrouted items with the rule that fired.")

    def handle(self, *args, file, holdout, as_json: bool, show_errors: int, **options):
        if bool(file) == bool(holdout):
            raise CommandError("Give a file of labelled items, or --holdout (not both).")
        if holdout:
            from triage import model_store

            items, problems = model_store.shipped_split()[1], []
            source = "the held-back fifth of the shipped corpus"
        else:
            items, problems = self._read(Path(file))
            source = file
        for problem in problems:
            self.stderr.write(f"Left out: {problem}")
        if not items:
            raise CommandError("No usable items to evaluate.")
        result = selectors.labelled_evaluate(items)
        if as_json:
            self.stdout.write(_json_dumps({"source": source, "left_out": len(problems), **result.figures}))
            return
        self.stdout.write(f"Evaluated {source} with classifier "
                          f"{'version ' + str(result.model_version) if result.model_version else 'trained on the shipped corpus'}"
                          f" and the escalation matrix in force.")
        if problems:
            self.stdout.write(f"{len(problems)} items left out (see above).")
        self.stdout.write(learned.format_report(result.figures))
        self.stdout.write("\nRules that fired:")
        for rule, count in result.rules.most_common():
            self.stdout.write(f"  {count:>5}  {rule}")
        for item, decision in result.misrouted[:show_errors]:
            self.stdout.write(f"\n[{item['route']} → {decision.route}] {item['text'][:300]!r}\n  {decision.explanation}")

    def _read(self, path: Path):
        try:
            found, problems = learned.read_items(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        items = []
        for number, obj in found:
            errors = learned.validate_item(obj)
            if errors:
                problems.append(f"{path.name}:{number}: {'; '.join(errors)}")
            else:
                items.append(obj)
        return items, problems


def _json_dumps(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
