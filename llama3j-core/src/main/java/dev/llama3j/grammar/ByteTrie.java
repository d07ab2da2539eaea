package dev.llama3j.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * An immutable trie of a few byte strings (an enum's serialized values, an object's property names), where each
 * node knows which strings lie below it, so that a matcher can tell at every byte whether some wanted string
 * can still be completed. Node 0 is the root; the value of a string is its index in the list it was built from.
 */
final class ByteTrie {
    private final int[][] childBytes;
    private final int[][] childNodes;
    private final int[] value;
    private final int[][] below;

    private ByteTrie(int[][] childBytes, int[][] childNodes, int[] value, int[][] below) {
        this.childBytes = childBytes;
        this.childNodes = childNodes;
        this.value = value;
        this.below = below;
    }

    /** The trie of {@code keys}; a key repeated keeps its first index. */
    static ByteTrie of(List<byte[]> keys) {
        List<TreeMap<Integer, Integer>> children = new ArrayList<>();
        List<Integer> values = new ArrayList<>();
        List<List<Integer>> under = new ArrayList<>();
        children.add(new TreeMap<>());
        values.add(-1);
        under.add(new ArrayList<>());
        for (int k = 0; k < keys.size(); k++) {
            int node = 0;
            under.get(0).add(k);
            for (byte x : keys.get(k)) {
                Integer next = children.get(node).get(x & 0xFF);
                if (next == null) {
                    next = children.size();
                    children.get(node).put(x & 0xFF, next);
                    children.add(new TreeMap<>());
                    values.add(-1);
                    under.add(new ArrayList<>());
                }
                node = next;
                under.get(node).add(k);
            }
            if (values.get(node) < 0) values.set(node, k);
        }
        int n = children.size();
        int[][] bytes = new int[n][];
        int[][] nodes = new int[n][];
        int[][] subtree = new int[n][];
        for (int i = 0; i < n; i++) {
            bytes[i] = children.get(i).keySet().stream().mapToInt(Integer::intValue).toArray();
            nodes[i] = children.get(i).values().stream().mapToInt(Integer::intValue).toArray();
            subtree[i] = under.get(i).stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
        }
        return new ByteTrie(bytes, nodes, values.stream().mapToInt(Integer::intValue).toArray(), subtree);
    }

    /** The child of {@code node} along byte {@code b}, or -1. */
    int child(int node, int b) {
        int i = Arrays.binarySearch(childBytes[node], b);
        return i >= 0 ? childNodes[node][i] : -1;
    }

    /** The index of the string ending at {@code node}, or -1. */
    int value(int node) {
        return value[node];
    }

    boolean hasChildren(int node) {
        return childBytes[node].length > 0;
    }

    /** Whether some string at or below {@code node} has an index in {@code lo..hi}. */
    boolean anyIndexIn(int node, int lo, int hi) {
        if (lo > hi) return false;
        int[] ids = below[node];
        int i = Arrays.binarySearch(ids, lo);
        if (i >= 0) return true;
        i = -i - 1;
        return i < ids.length && ids[i] <= hi;
    }
}
