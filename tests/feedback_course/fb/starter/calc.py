def add(a, b):
    raise NotImplementedError("add a and b")
