package io.jsgl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/** Every subcommand answers --help with its usage and exit code 0; unknown options are usage errors. */
class CliHelpTest {

    @TestFactory
    Stream<DynamicTest> everySubcommandHasHelp() {
        return new CommandLine(new JsglCli()).getSubcommands().keySet().stream()
                .filter(name -> !name.equals("help"))
                .map(name -> DynamicTest.dynamicTest(name, () -> assertEquals(0, JsglCli.execute(name, "--help"))));
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertEquals(2, JsglCli.execute("bench-one-batch", "--no-such-option"));
    }
}
