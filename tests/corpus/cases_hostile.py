from corpus_base import Case
def hostile_cases() -> list[Case]:
    return []
