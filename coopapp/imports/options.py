"""What the user chose about how a file is read: which sheet, hidden rows, and answers to questions.

An import stops with a *question* (see `ImportReport.ask`) where the file alone cannot say what the
accountant means: which sheet, whether hidden rows are data, what an ambiguous month is. The user
answers on the preview page (a choice) or on the command line (`--sheet`, `--include-hidden`,
`--answer KEY=VALUE`), and the import runs again with the answer in its `ReadOptions`.
"""

import json
from dataclasses import dataclass, field

# A carried-over options string longer than this is a hand-made post: it is ignored.
_MAX_JSON = 4096


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file. `answers`: question key → the option chosen."""

    sheet: str | None = None
    include_hidden: bool = False
    answers: dict[str, str] = field(default_factory=dict)

    def answer(self, key: str) -> str | None:
        """The option chosen for question `key`, or None while it is unanswered."""
        return self.answers.get(key)

    def with_answers(self, answers: dict[str, str]) -> "ReadOptions":
        """These options with more answers (a later answer to the same key wins)."""
        return ReadOptions(self.sheet, self.include_hidden, {**self.answers, **answers})

    def to_json(self) -> str:
        """The options as the hidden field of the preview's forms carries them."""
        return json.dumps(
            {"sheet": self.sheet, "include_hidden": self.include_hidden, "answers": self.answers},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> "ReadOptions":
        """Options from `to_json`'s text; anything else (empty, malformed, too long) is the defaults."""
        if not text or len(text) > _MAX_JSON:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        sheet = data.get("sheet")
        answers = data.get("answers")
        answers = answers if isinstance(answers, dict) else {}
        return cls(
            sheet if isinstance(sheet, str) and sheet else None,
            data.get("include_hidden") is True,
            {str(k): str(v) for k, v in answers.items() if isinstance(k, str) and isinstance(v, str)},
        )

    @classmethod
    def from_cli(cls, sheet: str | None, include_hidden: bool, answers: tuple[str, ...]) -> "ReadOptions":
        """Options from the import commands' `--sheet`, `--include-hidden` and `--answer KEY=VALUE`s.

        Raises ValueError naming an `--answer` without '='."""
        chosen: dict[str, str] = {}
        for item in answers:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(item)
            chosen[key.strip()] = value.strip()
        return cls(sheet or None, include_hidden, chosen)
