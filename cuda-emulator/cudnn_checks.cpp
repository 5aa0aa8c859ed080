// The checks every emulated cuDNN call shares: which handles and descriptors are live (so a
// destroyed or mistyped one is refused, not read), error reporting, and device-memory ranges.
#include <algorithm>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "cudnn_api.h"

namespace cudnn_emulator {
namespace {

std::mutex registry_mutex;
std::unordered_map<const void*, Kind>& registry() {
    static std::unordered_map<const void*, Kind> objects;
    return objects;
}

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::HANDLE: return "cudnnHandle_t";
        case Kind::TENSOR: return "tensor descriptor";
        case Kind::FILTER: return "filter descriptor";
        case Kind::CONVOLUTION_DESCRIPTOR: return "convolution descriptor";
        default: return "pooling descriptor";
    }
}

int need_object(const char* function, const char* role, const void* object, Kind kind) {
    if (object == nullptr) {
        return fail(STATUS_BAD_PARAM, function, std::string(role) + " is null");
    }
    if (!is_live(object, kind)) {
        return fail(STATUS_BAD_PARAM, function, std::string(role) + " is not a live " + kind_name(kind)
                + " (destroyed, never created, or another kind of object)");
    }
    return STATUS_SUCCESS;
}

}  // namespace

thread_local std::string last_error;

void adopt(const void* object, Kind kind) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    registry()[object] = kind;
}

bool is_live(const void* object, Kind kind) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = registry().find(object);
    return it != registry().end() && it->second == kind;
}

bool forget(const void* object, Kind kind) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = registry().find(object);
    if (it == registry().end() || it->second != kind) {
        return false;
    }
    registry().erase(it);
    return true;
}

int fail(int status, const char* function, const std::string& why) {
    last_error = std::string(function) + ": " + why;
    strix_emulator::report("cuDNN " + last_error);
    return status;
}

int need_handle(const char* function, cudnnHandle_t handle) {
    return need_object(function, "handle", handle, Kind::HANDLE);
}

int need_tensor(const char* function, const char* role, cudnnTensorDescriptor_t d) {
    if (int s = need_object(function, role, d, Kind::TENSOR)) {
        return s;
    }
    if (!d->set) {
        return fail(STATUS_BAD_PARAM, function, std::string(role) + " was created but never set");
    }
    return STATUS_SUCCESS;
}

int need_filter(const char* function, const char* role, cudnnFilterDescriptor_t d) {
    if (int s = need_object(function, role, d, Kind::FILTER)) {
        return s;
    }
    if (!d->set) {
        return fail(STATUS_BAD_PARAM, function, std::string(role) + " was created but never set");
    }
    return STATUS_SUCCESS;
}

int need_convolution(const char* function, cudnnConvolutionDescriptor_t d) {
    if (int s = need_object(function, "convolution descriptor", d, Kind::CONVOLUTION_DESCRIPTOR)) {
        return s;
    }
    if (!d->set) {
        return fail(STATUS_BAD_PARAM, function, "the convolution descriptor was created but never set");
    }
    return STATUS_SUCCESS;
}

int need_pooling(const char* function, cudnnPoolingDescriptor_t d) {
    if (int s = need_object(function, "pooling descriptor", d, Kind::POOLING)) {
        return s;
    }
    if (!d->set) {
        return fail(STATUS_BAD_PARAM, function, "the pooling descriptor was created but never set");
    }
    return STATUS_SUCCESS;
}

int need_scalar(const char* function, const char* role, const void* p, float* out) {
    if (p == nullptr) {
        return fail(STATUS_BAD_PARAM, function, std::string(role) + " (a host float) is null");
    }
    *out = *static_cast<const float*>(p);
    return STATUS_SUCCESS;
}

int need_float(const char* function, const char* role, int dataType) {
    if (dataType != DATA_FLOAT) {
        return fail(STATUS_NOT_SUPPORTED, function, std::string(role) + " has data type " + std::to_string(dataType)
                + "; the emulator computes only CUDNN_DATA_FLOAT (0)");
    }
    return STATUS_SUCCESS;
}

static std::string range_problem(const Range& r) {
    std::ostringstream why;
    if (r.address == nullptr) {
        why << r.role << " is a null pointer";
        return why.str();
    }
    std::string problem = strix_emulator::check_device_range(reinterpret_cast<std::uintptr_t>(r.address), r.bytes);
    if (problem.empty()) {
        return problem;
    }
    why << r.role << " (" << r.address << ", " << r.bytes << " bytes): " << problem;
    return why.str();
}

int check_ranges(const char* function, const std::vector<Range>& ranges) {
    for (const Range& r : ranges) {
        std::string problem = range_problem(r);
        if (!problem.empty()) {
            return fail(STATUS_BAD_PARAM, function, problem);
        }
    }
    return STATUS_SUCCESS;
}

bool ranges_still_live(const char* function, const std::vector<Range>& ranges) {
    for (const Range& r : ranges) {
        std::string problem = range_problem(r);
        if (!problem.empty()) {
            fail(STATUS_EXECUTION_FAILED, function, "when the queued work ran: " + problem + "; nothing was computed");
            return false;
        }
    }
    return true;
}

std::size_t tensor_bytes(const cudnnTensorStruct& t) {
    long long last = 0;
    for (int i = 0; i < 4; i++) {
        last += static_cast<long long>(t.dims[i] - 1) * t.strides[i];
    }
    return static_cast<std::size_t>(last + 1) * sizeof(float);
}

bool overlaps(const cudnnTensorStruct& t) {
    // Each axis longer than 1 must step past the farthest element reachable through the axes of
    // smaller stride (ties broken by axis order): then every index has its own address.
    for (int i = 0; i < 4; i++) {
        if (t.dims[i] <= 1) {
            continue;
        }
        long long below = 0;
        for (int j = 0; j < 4; j++) {
            bool smaller = t.strides[j] < t.strides[i] || (t.strides[j] == t.strides[i] && j < i);
            if (j != i && t.dims[j] > 1 && smaller) {
                below += t.strides[j] * (t.dims[j] - 1);
            }
        }
        if (t.strides[i] <= below) {
            return true;
        }
    }
    return false;
}

std::string describe_dims(const int* dims, int count) {
    std::ostringstream s;
    s << "[";
    for (int i = 0; i < count; i++) {
        s << (i ? ", " : "") << dims[i];
    }
    s << "]";
    return s.str();
}

std::string describe(const cudnnTensorStruct& t) {
    std::ostringstream s;
    s << describe_dims(t.dims, 4) << " strides [" << t.strides[0] << ", " << t.strides[1] << ", " << t.strides[2]
      << ", " << t.strides[3] << "]";
    return s.str();
}

void submit(cudnnHandle_t handle, std::function<void()> work) {
    strix_emulator::enqueue(handle->stream, std::move(work));
}

}  // namespace cudnn_emulator
