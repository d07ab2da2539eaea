package dev.llama3j.grammar;

/**
 * A compiled GBNF grammar, flat: each rule's alternatives are runs of positions, one symbol each, ended by an
 * {@link #END} position. A symbol is one character of a set ({@link #CHARS}) or a rule ({@link #REF}). Every rule
 * left can match some finite text, and expanding rules without reading never grows a stack forever (see
 * {@link GbnfCompiler}).
 */
final class GbnfProgram {
    static final byte END = 0;
    static final byte CHARS = 1;
    static final byte REF = 2;

    /** By position: END, CHARS or REF. */
    final byte[] kind;
    /** By position: the rule of a REF. */
    final int[] rule;
    /** By position: the set of a CHARS ({@link CodePoints}). */
    final int[][] chars;
    /** By rule: the first position of each alternative. */
    final int[][] alternatives;
    final int root;

    GbnfProgram(byte[] kind, int[] rule, int[][] chars, int[][] alternatives, int root) {
        this.kind = kind;
        this.rule = rule;
        this.chars = chars;
        this.alternatives = alternatives;
        this.root = root;
    }
}
