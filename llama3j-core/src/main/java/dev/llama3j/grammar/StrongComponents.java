package dev.llama3j.grammar;

import java.util.Arrays;
import java.util.function.IntFunction;

/** Tarjan's strongly connected components of a directed graph, without recursion (graphs may be large and deep). */
final class StrongComponents {
    private StrongComponents() {}

    /** By node of {@code 0..n-1}: its component's number; two nodes share one when each reaches the other. */
    static int[] of(int n, IntFunction<int[]> successors) {
        int[] order = new int[n];
        int[] low = new int[n];
        int[] component = new int[n];
        Arrays.fill(order, -1);
        boolean[] onStack = new boolean[n];
        int[] stack = new int[n];
        int[] callNode = new int[n];
        int[] callEdge = new int[n];
        int[][] succ = new int[n][];
        int counter = 0;
        int top = 0;
        int components = 0;
        for (int start = 0; start < n; start++) {
            if (order[start] >= 0) continue;
            int depth = 0;
            callNode[0] = start;
            callEdge[0] = 0;
            order[start] = low[start] = counter++;
            stack[top++] = start;
            onStack[start] = true;
            succ[start] = successors.apply(start);
            while (depth >= 0) {
                int v = callNode[depth];
                if (callEdge[depth] < succ[v].length) {
                    int w = succ[v][callEdge[depth]++];
                    if (order[w] < 0) {
                        order[w] = low[w] = counter++;
                        stack[top++] = w;
                        onStack[w] = true;
                        succ[w] = successors.apply(w);
                        depth++;
                        callNode[depth] = w;
                        callEdge[depth] = 0;
                    } else if (onStack[w]) {
                        low[v] = Math.min(low[v], order[w]);
                    }
                    continue;
                }
                if (low[v] == order[v]) {
                    int w;
                    do {
                        w = stack[--top];
                        onStack[w] = false;
                        component[w] = components;
                    } while (w != v);
                    components++;
                }
                succ[v] = null;
                depth--;
                if (depth >= 0) {
                    int parent = callNode[depth];
                    low[parent] = Math.min(low[parent], low[v]);
                }
            }
        }
        return component;
    }
}
