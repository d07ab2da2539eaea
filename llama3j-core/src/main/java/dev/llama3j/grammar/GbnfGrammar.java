package dev.llama3j.grammar;

/**
 * A grammar in llama.cpp's GBNF notation (its {@code --grammar-file} and llama-server's {@code grammar} field):
 * the output is what rule {@code root} matches, over Unicode code points written as UTF-8. The notation is in
 * {@link GbnfParser}; sizes are bounded by {@link GbnfLimits}. Immutable and shareable.
 *
 * <pre>{@code
 * Grammar yesNo = GbnfGrammar.compile("root ::= (\"yes\" | \"no\") \".\"");
 * }</pre>
 */
public final class GbnfGrammar implements Grammar {
    private final GbnfProgram program;

    private GbnfGrammar(GbnfProgram program) {
        this.program = program;
    }

    /** The grammar of {@code text}; anything it cannot use is a one-line {@link GbnfException}. */
    public static GbnfGrammar compile(String text) {
        GbnfProgram program = GbnfCompiler.compile(GbnfParser.parse(text));
        // a start too ambiguous to follow fails here, with the grammar, rather than in the first output
        GbnfState.start(program);
        return new GbnfGrammar(program);
    }

    @Override
    public GbnfState start() {
        return GbnfState.start(program);
    }
}
