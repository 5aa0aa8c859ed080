// Emulated driver API: initialisation, the one device, error names, the primary context.
#include <algorithm>
#include <cstdio>

#include "driver.h"
#include "memory.h"

using namespace strix_emulator::driver;

STRIX_API CUresult cuInit(unsigned flags) {
    LOCKED;
    if (flags != 0) {
        return fail(INVALID_VALUE, "cuInit: flags must be 0");
    }
    initialised = true;
    return SUCCESS;
}

STRIX_API CUresult cuDriverGetVersion(int* version) {
    if (version == nullptr) {
        return INVALID_VALUE;
    }
    *version = 13000;
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGetCount(int* count) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (count == nullptr) {
        return INVALID_VALUE;
    }
    *count = 1;
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGet(int* device, int ordinal) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device == nullptr) {
        return INVALID_VALUE;
    }
    if (ordinal != 0) {
        return fail(INVALID_DEVICE, "cuDeviceGet: the emulator has device 0 only");
    }
    *device = 0;
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGetName(char* name, int length, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (name == nullptr || length <= 0) {
        return INVALID_VALUE;
    }
    std::snprintf(name, length, "%s", "strix CUDA emulator (host CPU, not a GPU)");
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (value == nullptr) {
        return INVALID_VALUE;
    }
    switch (attribute) {
        case 1: *value = 1024; return SUCCESS;   // max threads per block
        case 16: *value = 132; return SUCCESS;   // multiprocessors, as an H100/H200
        case 75: *value = 9; return SUCCESS;     // compute capability major
        case 76: *value = 0; return SUCCESS;     // compute capability minor
        default: return fail(INVALID_VALUE, "cuDeviceGetAttribute: attribute " + std::to_string(attribute) +
                                                " is not emulated");
    }
}

STRIX_API CUresult cuDeviceTotalMem_v2(std::size_t* bytes, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (bytes == nullptr) {
        return INVALID_VALUE;
    }
    *bytes = TOTAL_MEMORY;
    return SUCCESS;
}

STRIX_API CUresult cuGetErrorName(CUresult error, const char** text) {
    if (text == nullptr) {
        return INVALID_VALUE;
    }
    *text = error_name(error);
    return *text == nullptr ? INVALID_VALUE : SUCCESS;
}

STRIX_API CUresult cuGetErrorString(CUresult error, const char** text) {
    if (text == nullptr) {
        return INVALID_VALUE;
    }
    *text = error_description(error);
    return *text == nullptr ? INVALID_VALUE : SUCCESS;
}

STRIX_API CUresult cuDevicePrimaryCtxRetain(void** context, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (context == nullptr) {
        return INVALID_VALUE;
    }
    primary_context_references++;
    *context = &primary_context;
    return SUCCESS;
}

STRIX_API CUresult cuDevicePrimaryCtxRelease_v2(int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (primary_context_references == 0) {
        return fail(INVALID_CONTEXT, "cuDevicePrimaryCtxRelease_v2: the primary context is not retained");
    }
    primary_context_references--;
    return SUCCESS;
}

STRIX_API CUresult cuCtxSetCurrent(void* context) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (context != nullptr && context != &primary_context) {
        return fail(INVALID_CONTEXT, "cuCtxSetCurrent: not a context of this driver");
    }
    current_context = static_cast<Context*>(context);
    return SUCCESS;
}

STRIX_API CUresult cuCtxSynchronize() {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (CUresult r = refuse_if_capturing("cuCtxSynchronize")) {
        return r;
    }
    strix_emulator::run_queued_work();
    return sticky_error;
}

STRIX_API CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (free == nullptr || total == nullptr) {
        return INVALID_VALUE;
    }
    *total = TOTAL_MEMORY;
    *free = TOTAL_MEMORY - std::min(TOTAL_MEMORY, strix_emulator::device_bytes_in_use());
    return SUCCESS;
}
