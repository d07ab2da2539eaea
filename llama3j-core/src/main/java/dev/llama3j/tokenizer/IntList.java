package dev.llama3j.tokenizer;

import java.util.Arrays;

/** A growable list of primitive ints: token ids without boxing. */
public final class IntList {
    private int[] items;
    private int size;

    public IntList(int capacity) {
        items = new int[Math.max(4, capacity)];
    }

    public void add(int value) {
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        items[size++] = value;
    }

    public void addAll(int[] values) {
        for (int v : values) {
            add(v);
        }
    }

    int size() {
        return size;
    }

    public int[] toArray() {
        return Arrays.copyOf(items, size);
    }
}
