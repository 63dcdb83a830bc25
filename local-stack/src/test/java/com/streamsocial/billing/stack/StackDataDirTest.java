package com.streamsocial.billing.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackDataDirTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondLockIsRefusedNamingTheDirectoryAndTheHolderUntilTheFirstIsReleased() throws Exception {
        Path dir = tmp.resolve("data");
        String me = Long.toString(ProcessHandle.current().pid());
        try (StackDataDir first = StackDataDir.lock(dir)) {
            assertThat(Files.readString(dir.resolve(StackDataDir.LOCK_FILE)).trim())
                    .isEqualTo(me);
            assertThatThrownBy(() -> StackDataDir.lock(dir))
                    .isInstanceOf(StackDataDir.InUseException.class)
                    .hasMessageContaining(dir.toAbsolutePath().toString())
                    .hasMessageContaining("pid " + me);
            // The refused attempt wrote nothing: the holder's pid is still there.
            assertThat(Files.readString(dir.resolve(StackDataDir.LOCK_FILE)).trim())
                    .isEqualTo(me);
            assertThat(first.dir()).isEqualTo(dir.toAbsolutePath());
        }
        try (StackDataDir again = StackDataDir.lock(dir)) {
            assertThat(again.dir()).isEqualTo(dir.toAbsolutePath());
        }
    }

    @Test
    void anInitializedPartIsKeptAndAHalfMadeOneIsWiped() throws Exception {
        Path dir = tmp.resolve("data");
        try (StackDataDir d = StackDataDir.lock(dir)) {
            Path pg = d.pg();
            Files.createDirectories(pg);
            Files.writeString(pg.resolve("PG_VERSION"), "14");
            d.markInitialized(pg);
            Path kafka = d.kafka();
            Files.createDirectories(kafka);
            Files.writeString(kafka.resolve("half-formatted"), "x");
            // No marker for kafka: its first start never came up.
        }
        try (StackDataDir d = StackDataDir.lock(dir)) {
            assertThat(d.pg().resolve("PG_VERSION")).exists();
            assertThat(d.kafka()).doesNotExist();
        }
    }
}
