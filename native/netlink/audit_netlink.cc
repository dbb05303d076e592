// The part of the kernel audit listener that must be native: a NETLINK_AUDIT socket, sending
// bytes to the kernel, and draining datagrams in batches. Everything about the protocol
// (nlmsghdr framing, ACKs, struct audit_status, rule bytes) lives in src/netlink/*.ts.
//
// A batch is handed to JS as one Buffer holding the datagrams back to back plus a Uint32Array
// of [offset, length] pairs, so JS is called once per poll wake-up, not once per record.

#include <napi.h>
#include <uv.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <string>
#include <vector>

namespace {

// MAX_AUDIT_MESSAGE_LENGTH is 8970; a little headroom so MSG_TRUNC means a real truncation.
constexpr size_t kSlotSize = 9216;
constexpr unsigned kSlots = 64;

Napi::Error SysError(Napi::Env env, const char* call, int err) {
  std::string msg = std::string(call) + " failed: " + strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  const char* name = strerrorname_np(err);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, call));
  return e;
}

class AuditSocket : public Napi::ObjectWrap<AuditSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "AuditSocket", {
      InstanceMethod<&AuditSocket::PortId>("portId"),
      InstanceMethod<&AuditSocket::SetReceiveBuffer>("setReceiveBuffer"),
      InstanceMethod<&AuditSocket::Send>("send"),
      InstanceMethod<&AuditSocket::Receive>("receive"),
      InstanceMethod<&AuditSocket::Start>("start"),
      InstanceMethod<&AuditSocket::Stop>("stop"),
      InstanceMethod<&AuditSocket::Close>("close"),
      InstanceMethod<&AuditSocket::Stats>("stats"),
    });
  }

  // new AuditSocket(groups, maxBatch)
  explicit AuditSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AuditSocket>(info) {
    Napi::Env env = info.Env();
    uint32_t groups = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
    max_batch_ = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 1024;
    if (max_batch_ == 0) max_batch_ = 1;
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
    if (fd_ < 0) {
      SysError(env, "socket(AF_NETLINK, NETLINK_AUDIT)", errno).ThrowAsJavaScriptException();
      return;
    }
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = groups;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
      int err = errno;
      ::close(fd_);
      fd_ = -1;
      SysError(env, "bind(NETLINK_AUDIT)", err).ThrowAsJavaScriptException();
      return;
    }
    slots_.resize(static_cast<size_t>(kSlots) * kSlotSize);
    for (unsigned i = 0; i < kSlots; i++) {
      iov_[i].iov_base = slots_.data() + static_cast<size_t>(i) * kSlotSize;
      iov_[i].iov_len = kSlotSize;
    }
  }

  ~AuditSocket() override {
    // The poll handle owns itself once closed; a socket dropped without close() still must
    // not leave the fd behind.
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
  uint32_t max_batch_;
  std::vector<char> slots_;
  iovec iov_[kSlots];
  mmsghdr msgs_[kSlots];
  std::vector<char> batch_;
  std::vector<uint32_t> meta_;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::ObjectReference self_;
  double enobufs_ = 0, datagrams_ = 0, wakeups_ = 0, truncated_ = 0, batches_ = 0;

  bool CheckOpen(Napi::Env env) {
    if (fd_ >= 0) return true;
    Napi::Error::New(env, "audit netlink socket is closed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value PortId(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    sockaddr_nl addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
      SysError(info.Env(), "getsockname", errno).ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::Number::New(info.Env(), addr.nl_pid);
  }

  // Returns the size the kernel granted (it doubles the request; SO_RCVBUFFORCE needs
  // CAP_NET_ADMIN and ignores rmem_max, so fall back to SO_RCVBUF without it).
  Napi::Value SetReceiveBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int bytes = info[0].As<Napi::Number>().Int32Value();
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0 &&
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0) {
      SysError(env, "setsockopt(SO_RCVBUF)", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int got = 0;
    socklen_t len = sizeof got;
    getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &got, &len);
    return Napi::Number::New(env, got);
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (!info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "send(bytes): bytes must be a Buffer or Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t n;
    do {
      n = sendto(fd_, bytes.Data(), bytes.ByteLength(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      SysError(env, "sendto(NETLINK_AUDIT)", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  // Reads what is queued, up to max_batch_ datagrams, into batch_/meta_. ENOBUFS means the
  // kernel dropped datagrams for us: counted, and reading goes on. Returns errno of a real
  // failure, else 0.
  int Drain() {
    batch_.clear();
    meta_.clear();
    uint32_t count = 0;
    while (count < max_batch_) {
      unsigned want = max_batch_ - count < kSlots ? max_batch_ - count : kSlots;
      for (unsigned i = 0; i < want; i++) {
        memset(&msgs_[i].msg_hdr, 0, sizeof msgs_[i].msg_hdr);
        msgs_[i].msg_hdr.msg_iov = &iov_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
        msgs_[i].msg_len = 0;
      }
      int n = recvmmsg(fd_, msgs_, want, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) { enobufs_++; continue; }
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return errno;
      }
      for (int i = 0; i < n; i++) {
        uint32_t len = msgs_[i].msg_len;
        if (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) { truncated_++; if (len > kSlotSize) len = kSlotSize; }
        meta_.push_back(static_cast<uint32_t>(batch_.size()));
        meta_.push_back(len);
        const char* p = static_cast<const char*>(iov_[i].iov_base);
        batch_.insert(batch_.end(), p, p + len);
      }
      count += static_cast<uint32_t>(n);
      datagrams_ += n;
      if (static_cast<unsigned>(n) < want) break;
    }
    return 0;
  }

  Napi::Value BatchValue(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("data", Napi::Buffer<char>::Copy(env, batch_.data(), batch_.size()));
    Napi::Uint32Array meta = Napi::Uint32Array::New(env, meta_.size());
    if (!meta_.empty()) memcpy(meta.Data(), meta_.data(), meta_.size() * sizeof(uint32_t));
    out.Set("meta", meta);
    return out;
  }

  // receive(timeoutMs): for request/ACK exchanges outside the event loop's poll. Returns a
  // batch, or undefined when nothing arrived in time.
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (poll_ != nullptr) {
      Napi::Error::New(env, "receive() while start() is polling the socket").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int timeout = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1000;
    pollfd p{fd_, POLLIN, 0};
    int r;
    do { r = ::poll(&p, 1, timeout); } while (r < 0 && errno == EINTR);
    if (r < 0) {
      SysError(env, "poll", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (r == 0) return env.Undefined();
    int err = Drain();
    if (err) {
      SysError(env, "recvmmsg(NETLINK_AUDIT)", err).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (meta_.empty()) return env.Undefined();
    batches_++;
    return BatchValue(env);
  }

  static void OnReadable(uv_poll_t* handle, int status, int events) {
    AuditSocket* self = static_cast<AuditSocket*>(handle->data);
    if (self == nullptr || self->callback_.IsEmpty()) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    self->wakeups_++;
    if (status == UV_EBADF) {
      // libuv reports POLLERR as EBADF and stops the handle. On a netlink socket POLLERR is the
      // pending ENOBUFS of an overrun (the kernel dropped datagrams for us): take the error
      // (which clears it), count it, and keep polling; anything else is a real failure.
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && (soerr == ENOBUFS || soerr == 0)) {
        if (soerr == ENOBUFS) self->enobufs_++;
        int r = uv_poll_start(handle, UV_READABLE, OnReadable);
        status = r < 0 ? r : 0;
      } else {
        status = soerr ? -soerr : UV_EBADF;
      }
    }
    int err = status < 0 ? -status : self->Drain();
    if (err == 0 && self->meta_.empty()) return;
    Napi::Value arg;
    if (err) {
      Napi::Error e = SysError(env, status < 0 ? "uv_poll" : "recvmmsg(NETLINK_AUDIT)", err);
      arg = e.Value();
      self->callback_.MakeCallback(self->Value(), {arg, env.Undefined()});
    } else {
      self->batches_++;
      self->callback_.MakeCallback(self->Value(), {env.Null(), self->BatchValue(env)});
    }
  }

  // start(callback(err, batch)): polls the socket on the Node event loop.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(env, "start(callback): callback must be a function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      napi_get_uv_event_loop(env, &loop);
      poll_ = new uv_poll_t;
      int r = uv_poll_init(loop, poll_, fd_);
      if (r < 0) {
        delete poll_;
        poll_ = nullptr;
        SysError(env, "uv_poll_init", -r).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      poll_->data = this;
      // The JS object must outlive a running poll even when the caller drops it.
      self_ = Napi::Persistent(Value());
    }
    int r = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (r < 0) {
      SysError(env, "uv_poll_start", -r).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return env.Undefined();
  }

  void StopPoll() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    callback_.Reset();
    self_.Reset();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPoll();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopPoll();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("enobufs", enobufs_);
    o.Set("datagrams", datagrams_);
    o.Set("wakeups", wakeups_);
    o.Set("batches", batches_);
    o.Set("truncated", truncated_);
    return o;
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("AuditSocket", AuditSocket::Init(env));
  exports.Set("AUDIT_NLGRP_READLOG", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(audit_netlink, Init)
