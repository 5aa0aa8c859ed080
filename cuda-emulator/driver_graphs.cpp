// Emulated driver API: stream capture into CUDA graphs, and their launches: a graph is the list of
// work recorded while its stream captured, replayed in order.

#include "driver.h"

using namespace strix_emulator::driver;

STRIX_API CUresult cuStreamBeginCapture_v2(void* stream, int mode) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    Stream* s = stream_of(stream);
    if (s == nullptr) {
        return fail(INVALID_VALUE, "cuStreamBeginCapture_v2: the legacy stream cannot capture");
    }
    if (mode < CAPTURE_MODE_GLOBAL || mode > CAPTURE_MODE_RELAXED) {
        return fail(INVALID_VALUE, "cuStreamBeginCapture_v2: mode " + std::to_string(mode));
    }
    if (s->capture_status != CAPTURE_STATUS_NONE) {
        return fail(INVALID_VALUE, "cuStreamBeginCapture_v2: the stream already captures");
    }
    s->capture_status = CAPTURE_STATUS_ACTIVE;
    s->capture_mode = mode;
    s->capturing_thread = std::this_thread::get_id();
    s->graph = std::make_unique<Graph>();
    return SUCCESS;
}

STRIX_API CUresult cuStreamEndCapture(void* stream, void** graph) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    Stream* s = stream_of(stream);
    if (s == nullptr || graph == nullptr || s->capture_status == CAPTURE_STATUS_NONE) {
        return fail(INVALID_VALUE, "cuStreamEndCapture: the stream is not capturing");
    }
    if (s->capture_mode == CAPTURE_MODE_THREAD_LOCAL && s->capturing_thread != std::this_thread::get_id()) {
        return fail(STREAM_CAPTURE_WRONG_THREAD, "cuStreamEndCapture: another thread began the capture");
    }
    bool invalidated = s->capture_status == CAPTURE_STATUS_INVALIDATED;
    s->capture_status = CAPTURE_STATUS_NONE;
    std::unique_ptr<Graph> g = std::move(s->graph);
    if (invalidated) {
        *graph = nullptr;
        return STREAM_CAPTURE_INVALIDATED;
    }
    *graph = g.release();
    return SUCCESS;
}

STRIX_API CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (exec == nullptr || graph == nullptr) {
        return INVALID_VALUE;
    }
    (void)flags;
    *exec = new Graph(*static_cast<Graph*>(graph));
    return SUCCESS;
}

STRIX_API CUresult cuGraphLaunch(void* exec, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (exec == nullptr || !valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    // A copy of the graph's work, so that destroying the graph before the launch runs is harmless.
    auto work = std::make_shared<const std::vector<std::function<void()>>>(static_cast<Graph*>(exec)->work);
    strix_emulator::enqueue(stream, [work] {
        for (const auto& w : *work) {
            w();
        }
    });
    return sticky_error;
}

STRIX_API CUresult cuGraphExecDestroy(void* exec) {
    LOCKED;
    if (exec == nullptr) {
        return INVALID_HANDLE;
    }
    delete static_cast<Graph*>(exec);
    return SUCCESS;
}

STRIX_API CUresult cuGraphDestroy(void* graph) {
    LOCKED;
    if (graph == nullptr) {
        return INVALID_HANDLE;
    }
    delete static_cast<Graph*>(graph);
    return SUCCESS;
}
