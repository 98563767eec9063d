from corpus_base import Case
def endpoint_cases() -> list[Case]:
    return []
