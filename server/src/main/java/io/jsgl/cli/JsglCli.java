package io.jsgl.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jsgl} command: one subcommand per job. */
@Command(name = "jsgl", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "jsgl 0.1.0",
        description = "An LLM serving engine for the JVM with pluggable hardware backends.",
        subcommands = {GenerateCommand.class, LogitsCommand.class, PerplexityCommand.class, TokenizeCommand.class,
                RandomModelCommand.class, BenchOneBatchCommand.class, BenchOfflineCommand.class,
                ServeCommand.class, BenchServingCommand.class, BackendsCommand.class, ConformanceCommand.class,
                CommandLine.HelpCommand.class})
public final class JsglCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 runtime error, 2 usage error. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new JsglCli());
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            System.err.println("jsgl: error: " + CliErrors.oneLine(e));
            if (verbose) e.printStackTrace(System.err);
            return 1;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            System.err.println("jsgl: " + e.getMessage() + " (see 'jsgl " + e.getCommandLine().getCommandName()
                    + " --help')");
            return 2;
        });
        return cli.execute(args);
    }
}
