"""A small program to trace: a word-frequency job with a recursive helper,
a generator pipeline, a few threads and an exception path."""
import threading
from collections import Counter

TEXT = """the quick brown fox jumps over the lazy dog and the dog sleeps
while the fox runs far away from the quick dog""" * 20


def tokenize(text):
    for line in text.splitlines():
        for word in line.split():
            yield word.strip(".,").lower()


def count_words(text):
    return Counter(tokenize(text))


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def parse_number(s):
    try:
        return int(s)
    except ValueError:
        return None


def worker(results, i):
    results[i] = fib(15 + i % 3)


def main():
    top = count_words(TEXT).most_common(3)
    numbers = [parse_number(s) for s in ["1", "x", "42", "?"]]
    results = [None] * 4
    threads = [threading.Thread(target=worker, args=(results, i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("top words:", top, "numbers:", numbers, "fibs:", results)


if __name__ == "__main__":
    main()
