// The part of the kernel audit listener that must be native: a NETLINK_AUDIT socket, sending
// bytes to the kernel, and draining datagrams in batches. Everything about the protocol
// (nlmsghdr framing, ACKs, struct audit_status, rule bytes) lives in src/netlink/*.ts.
//
// A batch is handed to JS as one Buffer holding the datagrams back to back plus a Uint32Array
// of [offset, length] pairs, so JS is called once per chunk of datagrams, not once per record.
//
// While started, a reader thread of the addon's own drains the socket into a bounded ring and
// wakes JS (uv_async). A JS thread busy with a batch, a GC pause or a paused pipeline then no
// longer leaves the socket unread: the kernel's backlog only fills once the ring is full.

#include <napi.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
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

// One datagram to the kernel (port 0); bytes sent, or -errno.
ssize_t SendToKernel(int fd, const uint8_t* data, size_t len) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(fd, data, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

// sendto() on libuv's thread pool. A request the kernel answers (AUDIT_GET) returns only once
// the kernel has started the thread that sends the reply, tens of milliseconds on a busy host:
// the daemon's periodic status request must not hold the JS thread that long.
class SendWorker : public Napi::AsyncWorker {
 public:
  // The worker sends on a duplicate of the socket: a close() meanwhile cannot hand its number
  // to another file.
  SendWorker(Napi::Function cb, int fd, const uint8_t* data, size_t len)
      : Napi::AsyncWorker(cb, "auditflow:netlink-send"), fd_(fcntl(fd, F_DUPFD_CLOEXEC, 0)), bytes_(data, data + len) {}

  ~SendWorker() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void Execute() override {
    if (fd_ < 0) {
      err_ = EBADF;
      return;
    }
    ssize_t n = SendToKernel(fd_, bytes_.data(), bytes_.size());
    if (n < 0) err_ = static_cast<int>(-n);
    sent_ = n;
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) {
      Callback().Call({SysError(env, "sendto(NETLINK_AUDIT)", err_).Value(), env.Undefined()});
    } else {
      Callback().Call({env.Null(), Napi::Number::New(env, static_cast<double>(sent_))});
    }
  }

 private:
  int fd_;
  std::vector<uint8_t> bytes_;
  int err_ = 0;
  ssize_t sent_ = 0;
};

// Datagrams back to back plus [offset, length] per datagram: what one JS call receives; and the
// /proc snapshots taken of its exec events' processes (see SnapshotExecs).
struct Chunk {
  std::vector<char> data;
  std::vector<uint32_t> meta;
  std::vector<char> procs;
  // [pid, serial, stat offset, stat length, cgroup offset, cgroup length] per snapshot; a
  // missing cgroup has length 0
  std::vector<uint32_t> proc_meta;
  size_t count() const { return meta.size() / 2; }
};

constexpr uint16_t kAuditSyscall = 1300, kAuditExecve = 1309;

// The decimal number at `at`; false when there is none.
bool DigitsAt(const char* at, const char* end, uint64_t& out) {
  uint64_t v = 0;
  const char* d = at;
  while (d < end && *d >= '0' && *d <= '9') v = v * 10 + static_cast<uint64_t>(*d++ - '0');
  out = v;
  return d > at;
}

// The decimal number after `key` in [p, end); false when absent.
bool FieldNumber(const char* p, const char* end, const char* key, size_t key_len, uint64_t& out) {
  const char* at = static_cast<const char*>(memmem(p, end - p, key, key_len));
  return at != nullptr && DigitsAt(at + key_len, end, out);
}

// The serial of "audit(SECONDS.MS:SERIAL): ..."; false when the text does not start so.
bool RecordSerial(const char* p, const char* end, uint32_t& serial) {
  const char* colon = static_cast<const char*>(memchr(p, ':', std::min<ptrdiff_t>(end - p, 40)));
  uint64_t v = 0;
  if (colon == nullptr || !DigitsAt(colon + 1, end, v)) return false;
  serial = static_cast<uint32_t>(v);
  return true;
}

// Appends a small /proc file (read whole: stat and cgroup are made on the first read); its
// length, 0 when it cannot be read.
uint32_t AppendProcFile(const char* path, std::vector<char>& out) {
  constexpr size_t kMax = 64u << 10;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const size_t at = out.size();
  size_t n = 0;
  bool ok = true;
  for (;;) {
    if (out.size() - at - n < 1024) out.resize(at + n + 4096);
    ssize_t got = ::read(fd, out.data() + at + n, out.size() - at - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ok = got == 0;
      break;
    }
    n += static_cast<size_t>(got);
    if (n > kMax) {
      ok = false;
      break;
    }
  }
  ::close(fd);
  if (!ok) n = 0;
  out.resize(at + n);
  return static_cast<uint32_t>(n);
}

class AuditSocket : public Napi::ObjectWrap<AuditSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "AuditSocket", {
      InstanceMethod<&AuditSocket::PortId>("portId"),
      InstanceMethod<&AuditSocket::SetReceiveBuffer>("setReceiveBuffer"),
      InstanceMethod<&AuditSocket::Send>("send"),
      InstanceMethod<&AuditSocket::SendAsync>("sendAsync"),
      InstanceMethod<&AuditSocket::Receive>("receive"),
      InstanceMethod<&AuditSocket::Start>("start"),
      InstanceMethod<&AuditSocket::Pause>("pause"),
      InstanceMethod<&AuditSocket::Stop>("stop"),
      InstanceMethod<&AuditSocket::Close>("close"),
      InstanceMethod<&AuditSocket::Stats>("stats"),
      InstanceMethod<&AuditSocket::SnapshotExecsOption>("snapshotExecs"),
    });
  }

  // new AuditSocket(groups, maxBatch, ringBytes)
  explicit AuditSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AuditSocket>(info) {
    Napi::Env env = info.Env();
    uint32_t groups = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
    max_batch_ = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 1024;
    if (max_batch_ == 0) max_batch_ = 1;
    if (info.Length() > 2 && info[2].IsNumber()) ring_limit_ = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
    if (ring_limit_ < kSlots * kSlotSize) ring_limit_ = kSlots * kSlotSize;
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
    StopReader();
    // The async handle is freed by libuv once closed; a socket dropped without close() still
    // must not leave the fd behind.
    CloseAsync();
    if (fd_ >= 0) ::close(fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

 private:
  int fd_ = -1;
  uint32_t max_batch_;
  // Receive slots: the reader thread's while it runs, receive()'s otherwise (never both).
  std::vector<char> slots_;
  iovec iov_[kSlots];
  mmsghdr msgs_[kSlots];

  // The ring between the reader thread and JS: chunks in arrival order, at most ring_limit_
  // bytes of datagrams. mu_ guards everything in this group.
  std::mutex mu_;
  std::condition_variable room_;
  std::deque<Chunk> ready_;
  std::vector<Chunk> spare_;
  size_t queued_ = 0;
  size_t ring_limit_ = 64u << 20;
  int reader_err_ = 0;
  const char* reader_call_ = nullptr;

  std::thread reader_;
  std::atomic<bool> stopping_{false};
  // how long a datagram may wait in the ring before JS is woken for it (start()'s lingerMs)
  std::atomic<int64_t> linger_us_{2000};
  int wake_fd_ = -1;
  uv_async_t* async_ = nullptr;
  bool delivering_ = false;
  Napi::FunctionReference callback_;
  Napi::ObjectReference self_;

  // 0: no /proc snapshots; 1: stat of each exec's process; 2: stat and cgroup (see SnapshotExecs)
  std::atomic<int> snapshot_mode_{0};
  // the reader thread's own: snapshots of the datagrams it holds, before they join a chunk, and
  // the latest SYSCALL records' [serial, pid] (an event's EXECVE follows its SYSCALL closely)
  std::vector<char> snap_procs_;
  std::vector<uint32_t> snap_meta_;
  uint32_t recent_[8][2] = {};
  unsigned recent_next_ = 0;

  std::atomic<uint64_t> snapshots_{0}, snapshots_gone_{0};
  std::atomic<uint64_t> enobufs_{0}, datagrams_{0}, truncated_{0}, ring_full_{0}, ring_peak_{0}, naps_{0};
  double wakeups_ = 0, batches_ = 0;

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
    ssize_t n = SendToKernel(fd_, bytes.Data(), bytes.ByteLength());
    if (n < 0) {
      SysError(env, "sendto(NETLINK_AUDIT)", static_cast<int>(-n)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  // sendAsync(bytes, callback(err, sent)): send() off the JS thread (see SendWorker).
  Napi::Value SendAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (!info[0].IsTypedArray() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "sendAsync(bytes, callback): bytes must be a Buffer or Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    (new SendWorker(info[1].As<Napi::Function>(), fd_, bytes.Data(), bytes.ByteLength()))->Queue();
    return env.Undefined();
  }

  // One recvmmsg into the slots, without waiting. ENOBUFS means the kernel dropped datagrams
  // for us (it reports that once): counted, and reading goes on. Returns the datagrams read,
  // 0 when none are queued, -errno on a real failure.
  int RecvSlots(unsigned want) {
    for (;;) {
      for (unsigned i = 0; i < want; i++) {
        memset(&msgs_[i].msg_hdr, 0, sizeof msgs_[i].msg_hdr);
        msgs_[i].msg_hdr.msg_iov = &iov_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
        msgs_[i].msg_len = 0;
      }
      int n = recvmmsg(fd_, msgs_, want, MSG_DONTWAIT, nullptr);
      if (n >= 0) {
        datagrams_ += n;
        return n;
      }
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) { enobufs_++; continue; }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -errno;
    }
  }

  // Appends the n datagrams in the slots to `c`.
  size_t AppendSlots(Chunk& c, int n) {
    size_t bytes = 0;
    for (int i = 0; i < n; i++) {
      uint32_t len = msgs_[i].msg_len;
      if (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) { truncated_++; if (len > kSlotSize) len = kSlotSize; }
      c.meta.push_back(static_cast<uint32_t>(c.data.size()));
      c.meta.push_back(len);
      const char* p = static_cast<const char*>(iov_[i].iov_base);
      c.data.insert(c.data.end(), p, p + len);
      bytes += len;
    }
    return bytes;
  }

  // The reader thread, before the datagrams in the slots join a chunk: reads /proc/PID/stat (and
  // cgroup) of the process of each exec event among them. Most processes of an exec storm have
  // exited by the time the JS thread gets to their event, a batch (batch_max_wait_ms) later, and
  // then only their records say who they were: no start time (so no stable entity id), no
  // session or container of their own. Read here, a few microseconds after the kernel sent the
  // event, nearly all are still there; and it costs this thread a few microseconds in C where
  // the JS thread paid several times that to learn the pid was gone.
  void SnapshotExecs(int n) {
    const bool cgroups = snapshot_mode_.load(std::memory_order_relaxed) >= 2;
    for (int i = 0; i < n; i++) {
      const char* p = static_cast<const char*>(iov_[i].iov_base);
      uint32_t len = std::min<uint32_t>(msgs_[i].msg_len, kSlotSize);
      if (len < sizeof(nlmsghdr)) continue;
      nlmsghdr h;
      memcpy(&h, p, sizeof h);
      if (h.nlmsg_type != kAuditSyscall && h.nlmsg_type != kAuditExecve) continue;
      if (h.nlmsg_len >= sizeof h && h.nlmsg_len < len) len = h.nlmsg_len;
      const char* text = p + sizeof h;
      const char* end = p + len;
      uint32_t serial;
      if (!RecordSerial(text, end, serial)) continue;
      if (h.nlmsg_type == kAuditSyscall) {
        uint64_t pid;
        if (!FieldNumber(text, end, " pid=", 5, pid)) continue;
        recent_[recent_next_][0] = serial;
        recent_[recent_next_][1] = static_cast<uint32_t>(pid);
        recent_next_ = (recent_next_ + 1) % 8;
        continue;
      }
      for (auto& r : recent_) {
        if (r[0] != serial || r[1] == 0) continue;
        Snapshot(r[1], serial, cgroups);
        r[1] = 0;
        break;
      }
    }
  }

  void Snapshot(uint32_t pid, uint32_t serial, bool cgroups) {
    char path[48];
    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    const uint32_t stat_at = static_cast<uint32_t>(snap_procs_.size());
    const uint32_t stat_len = AppendProcFile(path, snap_procs_);
    if (stat_len == 0) {
      snapshots_gone_++;
      return;
    }
    snapshots_++;
    uint32_t cg_len = 0;
    if (cgroups) {
      snprintf(path, sizeof path, "/proc/%u/cgroup", pid);
      cg_len = AppendProcFile(path, snap_procs_);
    }
    snap_meta_.insert(snap_meta_.end(), {pid, serial, stat_at, stat_len, stat_at + stat_len, cg_len});
  }

  // Caller holds mu_. Moves the reader's snapshots into `c`.
  void AppendSnapshots(Chunk& c) {
    const uint32_t base = static_cast<uint32_t>(c.procs.size());
    c.procs.insert(c.procs.end(), snap_procs_.begin(), snap_procs_.end());
    for (size_t i = 0; i < snap_meta_.size(); i += 6) {
      c.proc_meta.insert(c.proc_meta.end(), {snap_meta_[i], snap_meta_[i + 1], snap_meta_[i + 2] + base, snap_meta_[i + 3], snap_meta_[i + 4] + base, snap_meta_[i + 5]});
    }
    snap_procs_.clear();
    snap_meta_.clear();
  }

  // Caller holds mu_. A chunk to fill: the newest one while it has room, else a spare.
  Chunk& TailChunk() {
    if (ready_.empty() || ready_.back().count() >= max_batch_) {
      if (spare_.empty()) {
        ready_.emplace_back();
      } else {
        ready_.push_back(std::move(spare_.back()));
        spare_.pop_back();
      }
    }
    return ready_.back();
  }

  void Recycle(Chunk&& c) {
    c.data.clear();
    c.meta.clear();
    c.procs.clear();
    c.proc_meta.clear();
    std::lock_guard<std::mutex> lk(mu_);
    if (spare_.size() < 4) spare_.push_back(std::move(c));
  }

  // How full the socket's receive buffer is, and its size, in the kernel's own accounting
  // (skb truesize: a record costs a few KiB however short its text). False where SO_MEMINFO is
  // missing (before Linux 4.6): the reader then never sleeps on the socket.
  bool BufferUse(uint32_t& used, uint32_t& size) {
    uint32_t info[SK_MEMINFO_VARS] = {};
    socklen_t len = sizeof info;
    if (getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, info, &len) < 0 || len <= SK_MEMINFO_RCVBUF * sizeof(uint32_t)) return false;
    used = info[SK_MEMINFO_RMEM_ALLOC];
    size = info[SK_MEMINFO_RCVBUF];
    return true;
  }

  // The reader thread: waits for datagrams, moves them into the ring, wakes JS. When the ring
  // is full it stops reading, so the kernel queues (socket buffer, then its backlog) as before.
  //
  // JS is woken at most every linger (start()'s lingerMs; or once kWakeAt datagrams wait): the
  // kernel queues an event's records one datagram at a time, and on this kind of host every
  // wake-up of a thread costs more than handling a record, so one wake-up per few events is
  // what a slow rate costs least with. Records wait that long at most.
  //
  // Within the linger the reader sleeps instead of waking per datagram, for as long as the
  // socket's buffer safely holds what arrives meanwhile. The buffer is charged a few KiB per
  // record however short its text (about 6 KiB here: the default 16 MiB holds ~2,600 records),
  // and a storm may start during any nap, so a nap is never longer than half the buffer takes
  // to fill at kMaxRate, and in a storm no longer than 1/32 of it at the rate it was seen
  // filling lately (decaying by a quarter per read): a fast storm leaves no time to nap, and a
  // reader that naps through one loses records when it is not scheduled at once afterwards. A small buffer leaves no time to sleep and
  // the reader takes each datagram as it arrives, as before: a reader that slept regardless
  // starved a 4 KiB buffer and the kernel lost records.
  void ReadLoop() {
    using Clock = std::chrono::steady_clock;
    constexpr unsigned kWakeAt = 256;
    // bytes of receive buffer per second: the fastest the kernel is taken to fill it (about
    // 150,000 records/s; an unpaced open storm here fills it at ~400 MB/s)
    constexpr double kMaxRate = 1e9;
    constexpr auto kMinSleep = std::chrono::microseconds(200);
    // named, so top -H and /proc/PID/task show what the reader costs apart from JS
    pthread_setname_np(pthread_self(), "af-netlink-rd");
    unsigned unsignaled = 0;  // datagrams in the ring JS was not woken for yet
    Clock::time_point since, drained = Clock::now();
    double rate = kMaxRate;
    // A buffer too small to nap on (under ~400 KB) costs no SO_MEMINFO call per read:
    // with a few KiB the reader must take each datagram the moment it comes.
    uint32_t used = 0, size = 0;
    const bool may_sleep = BufferUse(used, size) && size / 2.0 / kMaxRate >= std::chrono::duration<double>(kMinSleep).count();
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        if (queued_ >= ring_limit_ && !stopping_) {
          ring_full_++;
          room_.wait(lk, [this] { return stopping_.load() || queued_ < ring_limit_; });
        }
        if (stopping_) return;
      }
      const auto linger = std::chrono::microseconds(linger_us_.load());
      pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      timespec wait{};
      if (unsignaled) {
        auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(since + linger - Clock::now()).count();
        if (left > 0) {
          wait.tv_sec = static_cast<time_t>(left / 1000000000);
          wait.tv_nsec = static_cast<long>(left % 1000000000);
        }
      }
      int r = ::ppoll(p, 2, unsignaled ? &wait : nullptr, nullptr);
      if (r < 0) {
        if (errno == EINTR) continue;
        Fail("poll", errno);
        return;
      }
      if (stopping_) return;
      bool full = false;
      if (p[0].revents != 0) {
        // (the clock is read only where needed: on a small buffer every call counts)
        bool known = may_sleep && linger >= kMinSleep && BufferUse(used, size);
        Clock::time_point now = known || unsignaled == 0 ? Clock::now() : since;
        if (unsignaled == 0) since = now;
        if (known) {
          double secs = std::min(size / 2.0 / kMaxRate, size / 32.0 / std::max(rate, 1e6));
          auto budget = std::chrono::duration<double>(secs);
          auto nap = std::chrono::duration_cast<std::chrono::nanoseconds>(since + linger - now);
          if (budget < nap) nap = std::chrono::duration_cast<std::chrono::nanoseconds>(budget);
          if (nap >= kMinSleep && used < size / 8) {
            naps_++;
            pollfd w{wake_fd_, POLLIN, 0};
            timespec t{static_cast<time_t>(nap.count() / 1000000000), static_cast<long>(nap.count() % 1000000000)};
            while (::ppoll(&w, 1, &t, nullptr) < 0 && errno == EINTR) {
            }
            if (stopping_) return;
            known = BufferUse(used, size);
            now = Clock::now();
          }
        }
        if (known) {
          // what filled the buffer since the last drain emptied it; a buffer found half full
          // may have overflowed meanwhile: assume the worst
          double secs = std::chrono::duration<double>(now - drained).count();
          double seen = used >= size / 2 ? kMaxRate : used / (secs > 1e-6 ? secs : 1e-6);
          rate = seen > rate * 0.75 ? seen : rate * 0.75;
        }
        for (;;) {
          uint64_t lost_before = enobufs_.load();
          int n = RecvSlots(kSlots);
          if (enobufs_.load() != lost_before) rate = kMaxRate;
          if (n < 0) {
            Fail("recvmmsg(NETLINK_AUDIT)", -n);
            return;
          }
          if (n == 0) break;
          if (snapshot_mode_.load(std::memory_order_relaxed) != 0) SnapshotExecs(n);
          {
            std::lock_guard<std::mutex> lk(mu_);
            Chunk& c = TailChunk();
            queued_ += AppendSlots(c, n);
            if (!snap_meta_.empty()) AppendSnapshots(c);
            if (queued_ > ring_peak_) ring_peak_ = queued_;
            full = queued_ >= ring_limit_;
          }
          unsignaled += static_cast<unsigned>(n);
          if (full || stopping_ || static_cast<unsigned>(n) < kSlots) break;
        }
        if (may_sleep) drained = Clock::now();
      }
      if (unsignaled && (full || unsignaled >= kWakeAt || linger.count() == 0 || Clock::now() - since >= linger)) {
        uv_async_send(async_);
        unsignaled = 0;
      }
    }
  }

  void Fail(const char* call, int err) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      reader_err_ = err;
      reader_call_ = call;
    }
    uv_async_send(async_);
  }

  void StopReader() {
    if (!reader_.joinable()) return;
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    room_.notify_all();
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
    reader_.join();
    uint64_t v;
    (void)!read(wake_fd_, &v, sizeof v);
    stopping_ = false;
  }

  void CloseAsync() {
    if (async_ == nullptr) return;
    async_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    async_ = nullptr;
  }

  Napi::Value ChunkValue(Napi::Env env, const Chunk& c) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("data", Napi::Buffer<char>::Copy(env, c.data.data(), c.data.size()));
    Napi::Uint32Array meta = Napi::Uint32Array::New(env, c.meta.size());
    if (!c.meta.empty()) memcpy(meta.Data(), c.meta.data(), c.meta.size() * sizeof(uint32_t));
    out.Set("meta", meta);
    if (!c.proc_meta.empty()) {
      Napi::Object procs = Napi::Object::New(env);
      procs.Set("data", Napi::Buffer<char>::Copy(env, c.procs.data(), c.procs.size()));
      Napi::Uint32Array pm = Napi::Uint32Array::New(env, c.proc_meta.size());
      memcpy(pm.Data(), c.proc_meta.data(), c.proc_meta.size() * sizeof(uint32_t));
      procs.Set("meta", pm);
      out.Set("procs", procs);
    }
    return out;
  }

  // receive(timeoutMs): for request/ACK exchanges, and for draining at stop. What the reader
  // thread already took comes first. Returns a batch, or undefined when nothing arrived in time.
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (reader_.joinable()) {
      Napi::Error::New(env, "receive() while start() is reading the socket").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    {
      std::unique_lock<std::mutex> lk(mu_);
      if (!ready_.empty()) {
        Chunk c = std::move(ready_.front());
        ready_.pop_front();
        queued_ -= c.data.size();
        lk.unlock();
        batches_++;
        Napi::Value v = ChunkValue(env, c);
        Recycle(std::move(c));
        return v;
      }
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
    Chunk c;
    while (c.count() < max_batch_) {
      unsigned left = max_batch_ - static_cast<unsigned>(c.count());
      int n = RecvSlots(left < kSlots ? left : kSlots);
      if (n < 0) {
        SysError(env, "recvmmsg(NETLINK_AUDIT)", -n).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      if (n == 0) break;
      AppendSlots(c, n);
    }
    if (c.count() == 0) return env.Undefined();
    batches_++;
    return ChunkValue(env, c);
  }

  static void OnAsync(uv_async_t* handle) {
    AuditSocket* self = static_cast<AuditSocket*>(handle->data);
    if (self != nullptr && self->delivering_) self->Deliver();
  }

  // On the JS thread: hands the oldest chunk to the callback, then gives the event loop a turn
  // (timers, the pipeline's promises, a pause) before the next one, as one poll wake-up did.
  // Taking it out frees its room in the ring at once.
  void Deliver() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Chunk c;
    int err = 0;
    const char* call = nullptr;
    bool more;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!ready_.empty()) {
        c = std::move(ready_.front());
        ready_.pop_front();
        queued_ -= c.data.size();
      } else if (reader_err_) {
        err = reader_err_;
        call = reader_call_;
        reader_err_ = 0;
      } else {
        return;
      }
      more = !ready_.empty() || reader_err_;
    }
    room_.notify_one();
    wakeups_++;
    if (more) uv_async_send(async_);
    if (err) {
      callback_.MakeCallback(Value(), {SysError(env, call, err).Value(), env.Undefined()});
      return;
    }
    batches_++;
    Napi::Value batch = ChunkValue(env, c);
    Recycle(std::move(c));
    callback_.MakeCallback(Value(), {env.Null(), batch});
  }

  // start(callback(err, batch), lingerMs = 2): a reader thread drains the socket into the
  // ring; JS gets what it took, one call per chunk of up to maxBatch datagrams, woken at most
  // every lingerMs (see ReadLoop).
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(env, "start(callback): callback must be a function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (info.Length() > 1 && info[1].IsNumber()) {
      double ms = info[1].As<Napi::Number>().DoubleValue();
      linger_us_ = ms > 0 ? static_cast<int64_t>(ms * 1000) : 0;
    }
    if (async_ == nullptr) {
      uv_loop_t* loop = nullptr;
      napi_get_uv_event_loop(env, &loop);
      async_ = new uv_async_t;
      int r = uv_async_init(loop, async_, OnAsync);
      if (r < 0) {
        delete async_;
        async_ = nullptr;
        SysError(env, "uv_async_init", -r).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      async_->data = this;
    }
    uv_ref(reinterpret_cast<uv_handle_t*>(async_));
    // The JS object must outlive a running reader even when the caller drops it.
    if (self_.IsEmpty()) self_ = Napi::Persistent(Value());
    delivering_ = true;
    if (!reader_.joinable()) {
      if (wake_fd_ < 0) wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (wake_fd_ < 0) {
        SysError(env, "eventfd", errno).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      reader_ = std::thread([this] { ReadLoop(); });
    }
    // what the ring held while JS paused (or since a previous session stopped) comes first
    uv_async_send(async_);
    return env.Undefined();
  }

  // pause(): no more calls until start(); the reader keeps filling the ring up to its limit.
  Napi::Value Pause(const Napi::CallbackInfo& info) {
    delivering_ = false;
    return info.Env().Undefined();
  }

  // stop(): the reader thread ends; what it took stays in the ring for receive() or start().
  void StopAll() {
    delivering_ = false;
    StopReader();
    if (async_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(async_));
    callback_.Reset();
    self_.Reset();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopAll();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopAll();
    CloseAsync();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    {
      std::lock_guard<std::mutex> lk(mu_);
      ready_.clear();
      spare_.clear();
      queued_ = 0;
    }
    return info.Env().Undefined();
  }

  // snapshotExecs(mode): 0 none, 1 the stat, 2 the stat and cgroup of each exec event's process
  // (see SnapshotExecs), for the datagrams read from now on.
  Napi::Value SnapshotExecsOption(const Napi::CallbackInfo& info) {
    int mode = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    snapshot_mode_ = mode < 0 ? 0 : mode > 2 ? 2 : mode;
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    size_t queued;
    {
      std::lock_guard<std::mutex> lk(mu_);
      queued = queued_;
    }
    o.Set("enobufs", static_cast<double>(enobufs_.load()));
    o.Set("datagrams", static_cast<double>(datagrams_.load()));
    o.Set("wakeups", wakeups_);
    o.Set("batches", batches_);
    o.Set("truncated", static_cast<double>(truncated_.load()));
    o.Set("ring_bytes", static_cast<double>(queued));
    o.Set("ring_peak", static_cast<double>(ring_peak_.load()));
    o.Set("ring_full", static_cast<double>(ring_full_.load()));
    o.Set("naps", static_cast<double>(naps_.load()));
    o.Set("proc_snapshots", static_cast<double>(snapshots_.load()));
    o.Set("proc_snapshots_gone", static_cast<double>(snapshots_gone_.load()));
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
