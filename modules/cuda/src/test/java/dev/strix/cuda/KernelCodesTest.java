package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.UnaryOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Java's op codes equal the #defines the kernels switch on, read from cuda-src: {@code
 * -Dstrix.cuda.sources=DIR} (the device bundle ships a copy), else {@code ../../cuda-src} from the
 * module directory Maven runs the tests in.
 */
class KernelCodesTest {
    private static final Path SOURCES = Path.of(System.getProperty("strix.cuda.sources",
            Path.of(System.getProperty("user.dir")).resolve("../../cuda-src").toString())).normalize();

    private static Map<String, Integer> defines(String file) throws IOException {
        Path p = SOURCES.resolve(file);
        assertTrue(Files.isRegularFile(p), "kernel source " + p + " (tests run from modules/cuda, or -Dstrix.cuda.sources)");
        Map<String, Integer> map = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^#define (STRIX_[A-Z0-9_]+) (\\d+)\\s*$").matcher(Files.readString(p));
        while (m.find()) {
            map.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return map;
    }

    @Test
    void opCodesMatchTheKernelSources() throws IOException {
        Map<String, Integer> common = defines("strix_common.cuh");
        for (DType t : DType.values()) {
            assertEquals(common.get("STRIX_" + t.name()), KernelCodes.of(t), "dtype " + t);
        }
        assertEquals(KernelParams.MAX_RANK, common.get("STRIX_MAX_RANK"));
        assertEquals(CudaKernels.THREADS, common.get("STRIX_REDUCE_THREADS"));
        Map<String, Integer> elementwise = defines("elementwise.cu");
        for (UnaryOp op : UnaryOp.values()) {
            assertEquals(elementwise.get("STRIX_" + op.name()), KernelCodes.of(op), "unary " + op);
        }
        for (BinaryOp op : BinaryOp.values()) {
            assertEquals(elementwise.get("STRIX_" + op.name()), KernelCodes.of(op), "binary " + op);
        }
        Map<String, Integer> reduce = defines("reduce.cu");
        for (ReduceOp op : ReduceOp.values()) {
            assertEquals(reduce.get("STRIX_" + op.name()), KernelCodes.of(op), "reduce " + op);
        }
    }
}
