// Emulated driver API: streams and events.

#include "driver.h"

using namespace strix_emulator::driver;

STRIX_API CUresult cuStreamCreate(void** stream, unsigned flags) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (stream == nullptr || flags > 1) {
        return fail(INVALID_VALUE, "cuStreamCreate: null output or flags other than 0/CU_STREAM_NON_BLOCKING");
    }
    auto s = std::make_unique<Stream>();
    Stream* key = s.get();
    streams[key] = std::move(s);
    *stream = key;
    return SUCCESS;
}

STRIX_API CUresult cuStreamDestroy_v2(void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (stream_of(stream) == nullptr) {
        return fail(INVALID_HANDLE, "cuStreamDestroy_v2: not a live stream");
    }
    streams.erase(static_cast<Stream*>(stream));
    return SUCCESS;
}

STRIX_API CUresult cuStreamSynchronize(void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    Stream* s = stream_of(stream);
    if (!valid_stream(stream)) {
        return fail(INVALID_HANDLE, "cuStreamSynchronize: not a live stream");
    }
    if (s != nullptr && s->capture_status != CAPTURE_STATUS_NONE) {
        s->capture_status = CAPTURE_STATUS_INVALIDATED;
        return fail(STREAM_CAPTURE_UNSUPPORTED, "cuStreamSynchronize on a stream that captures a graph");
    }
    if (CUresult r = refuse_if_capturing("cuStreamSynchronize")) {
        return r;
    }
    strix_emulator::run_queued_work();
    return sticky_error;
}

STRIX_API CUresult cuStreamIsCapturing(void* stream, int* status) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (status == nullptr || !valid_stream(stream)) {
        return INVALID_VALUE;
    }
    Stream* s = stream_of(stream);
    *status = s == nullptr ? CAPTURE_STATUS_NONE : s->capture_status;
    return SUCCESS;
}

STRIX_API CUresult cuEventCreate(void** event, unsigned flags) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (event == nullptr) {
        return INVALID_VALUE;
    }
    Event* e = new Event();
    e->timing = (flags & 2u) == 0;
    *event = e;
    return SUCCESS;
}

STRIX_API CUresult cuEventRecord(void* event, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (event == nullptr || !valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    Event* e = static_cast<Event*>(event);
    strix_emulator::enqueue(stream, [e] {
        e->recorded = true;
        e->time = std::chrono::steady_clock::now();
    });
    return SUCCESS;
}

STRIX_API CUresult cuEventSynchronize(void* event) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (event == nullptr) {
        return INVALID_HANDLE;
    }
    strix_emulator::run_queued_work();
    return sticky_error;
}

STRIX_API CUresult cuEventElapsedTime_v2(float* milliseconds, void* start, void* end) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (milliseconds == nullptr || start == nullptr || end == nullptr) {
        return INVALID_VALUE;
    }
    Event* a = static_cast<Event*>(start);
    Event* b = static_cast<Event*>(end);
    if (!a->timing || !b->timing) {
        return INVALID_HANDLE;   // as the driver does for events made with CU_EVENT_DISABLE_TIMING
    }
    if (!a->recorded || !b->recorded) {
        return NOT_READY;
    }
    *milliseconds = std::chrono::duration<float, std::milli>(b->time - a->time).count();
    return SUCCESS;
}

STRIX_API CUresult cuEventDestroy_v2(void* event) {
    LOCKED;
    if (event == nullptr) {
        return INVALID_HANDLE;
    }
    // A recorded event may still be queued; its record must run before the event goes.
    strix_emulator::run_queued_work();
    delete static_cast<Event*>(event);
    return SUCCESS;
}
