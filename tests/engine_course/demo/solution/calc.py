def add(a, b):
    return a + b


def slow():
    return "done"
