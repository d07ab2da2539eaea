package dev.llama3j.grammar;

import java.util.List;

/** A parsed GBNF expression, before {@link GbnfCompiler} flattens it; places are lines and columns from 1. */
sealed interface GbnfExpr {
    /** One character of a set ({@link CodePoints}): a class, {@code .} or one character of a string. */
    record Chars(int[] set) implements GbnfExpr {}

    /** A rule by name, written at {@code line}, {@code column}. */
    record Ref(String name, int line, int column) implements GbnfExpr {}

    /** The items one after the other (none: the empty text). */
    record Sequence(List<GbnfExpr> items) implements GbnfExpr {}

    /** Any one of the options (two or more). */
    record Choice(List<GbnfExpr> options) implements GbnfExpr {}

    /** {@code item} {@code min} to {@code max} times ({@code max} -1: no bound), the operator at line, column. */
    record Repeat(GbnfExpr item, int min, int max, int line, int column) implements GbnfExpr {}

    /** A rule's definition: {@code name ::= body}, the name at {@code line}, {@code column}. */
    record Rule(String name, GbnfExpr body, int line, int column) {}
}
