"""Demo data (placeholder)."""


def load_demo(password: str) -> bool:
    raise NotImplementedError
