from corpus_base import Case
def data_cases() -> list[Case]:
    return []
