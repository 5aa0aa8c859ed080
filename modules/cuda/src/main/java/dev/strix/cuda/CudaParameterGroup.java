package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A {@link ParameterGroup} on the GPU, with the table that lets one kernel launch update every
 * tensor of it (cuda-src/optim.cu, {@code sgd_step_all} and {@code adam_step_all}): 64-bit words in
 * device memory, written once here, since parameters, gradients and optimizer state never move.
 *
 * <pre>
 * blockStart[count + 1]   first block of each tensor (blocks of {@link CudaKernels#THREADS}); [count] = all blocks
 * size[count]             elements of each tensor
 * pointer[roles][count]   device addresses: role 0 parameters, 1 gradients, 2.. state slots
 * </pre>
 *
 * Each tensor starts on a block of its own, so a block updates one tensor only. Empty parameters
 * are left out of the table ({@link #tableCount()} may be smaller than {@link #count()}).
 */
final class CudaParameterGroup extends ParameterGroup {
    private final CudaBackend backend;
    private final int tableCount;
    private final long blocks;
    /** The table, or null when every parameter is empty. */
    private Tensor table;
    private boolean closed;

    CudaParameterGroup(CudaBackend backend, List<Tensor> parameters, List<Tensor> gradients,
                       List<List<Tensor>> states) {
        super(parameters, gradients, states);
        this.backend = backend;
        if (backend() != backend) {
            throw new IllegalArgumentException("parameter group: parameter 0 lives on backend '" + backend().name()
                    + "', not cuda; move it with Tensor.to(backend)");
        }
        requireUsable("parameter group");
        int n = 0;
        for (int i = 0; i < count(); i++) {
            n += parameter(i).size() > 0 ? 1 : 0;
        }
        this.tableCount = n;
        int roles = 2 + slots();
        long words = (n + 1) + n + (long) roles * n;
        long[] blockStart = new long[n + 1];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_LONG, words);
            int t = 0;
            for (int i = 0; i < count(); i++) {
                long size = parameter(i).size();
                if (size == 0) {
                    continue;
                }
                blockStart[t + 1] = blockStart[t] + (size + CudaKernels.THREADS - 1) / CudaKernels.THREADS;
                host.setAtIndex(ValueLayout.JAVA_LONG, n + 1 + t, size);
                for (int role = 0; role < roles; role++) {
                    host.setAtIndex(ValueLayout.JAVA_LONG, 2L * n + 1 + (long) role * n + t,
                            CudaBackend.address(role(role, i)));
                }
                t++;
            }
            MemorySegment.copy(blockStart, 0, host, ValueLayout.JAVA_LONG, 0, n + 1);
            this.blocks = blockStart[n];
            if (n > 0) {
                table = backend.allocate(DType.U8, Shape.of(Math.toIntExact(8 * words)));
                // Pageable host memory is staged before the call returns, so the arena may close at once.
                backend.copyFromHost(host, table);
            }
        }
    }

    /** Tensor {@code i} of role 0 (parameter), 1 (gradient) or 2 + slot (state). */
    private Tensor role(int role, int i) {
        return switch (role) {
            case 0 -> parameter(i);
            case 1 -> gradient(i);
            default -> state(role - 2, i);
        };
    }

    /** Whether this group was made by {@code b}. */
    boolean belongsTo(CudaBackend b) {
        return backend == b;
    }

    /**
     * Fails when the group was closed, the backend closed, or any tensor of the group freed since it
     * was made (the table would point at freed memory). Allocates nothing unless it throws.
     */
    void requireUsable(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": this parameter group was closed");
        }
        backend.requireOpen(op);
        int roles = 2 + slots();
        for (int i = 0; i < count(); i++) {
            for (int role = 0; role < roles; role++) {
                Tensor t = role(role, i);
                if (t.storage().isFreed()) {
                    String what = role == 0 ? "the parameter" : role == 1 ? "the gradient" : "state " + (role - 2);
                    throw new IllegalStateException(op + ": " + what + " of parameter " + i + " (" + t.dtype()
                            + t.shape() + ") was freed after its parameter group was made");
                }
            }
        }
    }

    /** Non-empty parameters, the {@code count} of the kernels' table. */
    int tableCount() {
        return tableCount;
    }

    /** Blocks of {@link CudaKernels#THREADS} that cover every tensor. */
    long blocks() {
        return blocks;
    }

    /** Device address of the table; 0 when every parameter is empty. */
    long tableAddress() {
        return table == null ? 0 : CudaBackend.address(table);
    }

    @Override
    public void close() {
        closed = true;
        if (table != null) {
            table.close();
            table = null;
        }
    }
}
