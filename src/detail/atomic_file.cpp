// The atomic, durable file writer; see atomic_file.hpp.
#include "detail/atomic_file.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <memory>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smb::detail {

namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

// ---- temporaries a signal must remove ---------------------------------------------------------
// A fixed table, so the handler needs no allocation and no lock: a slot is live while its
// dir_fd is >= 0, and then name is the temporary's name in that directory (unlinkat is
// async-signal-safe). A process with more live temporaries than slots still writes them, only
// without this protection for the extra ones.
constexpr std::size_t kSlots = 64;
constexpr std::size_t kNameMax = 256;
struct Slot {
    std::atomic<bool> claimed{false};
    std::atomic<int> dir_fd{-1};
    char name[kNameMax] = {};
};
std::array<Slot, kSlots> g_slots;
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};

extern "C" void remove_temporaries_and_die(int sig) {
    const int saved = errno;
    for (Slot& s : g_slots) {
        const int dir = s.dir_fd.load(std::memory_order_acquire);
        if (dir >= 0) ::unlinkat(dir, s.name, 0);
    }
    errno = saved;
    // SA_RESETHAND restored the default action on entry: the raised signal, blocked while this
    // handler runs, kills the process as soon as it returns (exit status: killed by `sig`).
    ::raise(sig);
}

// Our handler for each of kSignals whose action is the default (checked at every AtomicFile:
// a program may reset a handler later). An ignored signal or a program's own handler is left
// alone: with those, the signal does not end the process this way.
void install_handlers() {
    for (const int sig : kSignals) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) != 0) continue;
        if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;
        struct sigaction sa {};
        sa.sa_handler = remove_temporaries_and_die;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND | SA_RESTART;
        ::sigaction(sig, &sa, nullptr);
    }
}

int claim_slot() {
    for (std::size_t i = 0; i < kSlots; ++i) {
        bool expected = false;
        if (g_slots[i].claimed.compare_exchange_strong(expected, true)) return static_cast<int>(i);
    }
    return -1;
}

void publish(int slot, int dir_fd, const std::string& name) {
    if (slot < 0 || name.size() >= kNameMax) return;
    Slot& s = g_slots[std::size_t(slot)];
    std::memcpy(s.name, name.c_str(), name.size() + 1);
    s.dir_fd.store(dir_fd, std::memory_order_release);
}

void unpublish(int slot) {
    if (slot >= 0) g_slots[std::size_t(slot)].dir_fd.store(-1, std::memory_order_release);
}

void release_slot(int slot) {
    if (slot < 0) return;
    unpublish(slot);
    g_slots[std::size_t(slot)].claimed.store(false, std::memory_order_release);
}

// ---- names ----------------------------------------------------------------------------------
std::string temp_suffix() {
    static std::atomic<std::uint64_t> counter{0};
    const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    std::uint64_t x = t ^ (static_cast<std::uint64_t>(::getpid()) << 32) ^
                      (counter.fetch_add(1) * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 32;
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s;
    for (int i = 0; i < 10; ++i) {
        s += alphabet[x % 36];
        x /= 36;
    }
    return s;
}

const char* kind_of(mode_t mode) {
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

}  // namespace

FileError::FileError(std::string file, std::string problem)
    : std::runtime_error(file + ": " + problem), file_(std::move(file)), problem_(std::move(problem)) {}

AtomicFile::AtomicFile(const fs::path& target) : target_(target) {
    const std::string file = target.string();
    if (target.empty()) throw FileError(file, "cannot write: empty file name");

    // 1. Follow symbolic links to the file that will really be replaced.
    fs::path p = target;
    struct stat st {};
    bool exists = false;
    for (int hops = 0;; ++hops) {
        if (::lstat(p.c_str(), &st) != 0) {
            const int err = errno;
            if (err == ENOENT) break;  // a new file; a missing directory is reported below
            throw FileError(file, "cannot write: cannot access '" + p.string() + "': " + errno_text(err));
        }
        if (!S_ISLNK(st.st_mode)) {
            exists = true;
            break;
        }
        if (hops == 40) throw FileError(file, "cannot write: too many levels of symbolic links");
        std::error_code ec;
        const fs::path link = fs::read_symlink(p, ec);
        if (ec) throw FileError(file, "cannot write: cannot read the symbolic link '" + p.string() + "': " + ec.message());
        p = link.is_absolute() ? link : p.parent_path() / link;
    }
    destination_ = p;
    const std::string it = p == target ? std::string("it") : "its target '" + p.string() + "'";

    // 2. Only a regular file is replaced, and only one this process could open for writing.
    if (exists) {
        if (S_ISDIR(st.st_mode)) throw FileError(file, "cannot write: " + it + " is a directory");
        if (!S_ISREG(st.st_mode))
            throw FileError(file, "cannot write: " + it + " is " + kind_of(st.st_mode) +
                                      "; only a regular file is replaced");
        if (::faccessat(AT_FDCWD, p.c_str(), W_OK, AT_EACCESS) != 0)
            throw FileError(file, "cannot write: " + it + " is not writable: " + errno_text(errno));
    }
    name_ = p.filename().string();
    if (name_.empty() || name_ == "." || name_ == "..") throw FileError(file, "cannot write: not a file name");

    // 3. The temporary, in the destination's directory.
    const fs::path dir = p.parent_path();
    const std::string dir_text = dir.empty() ? std::string(".") : dir.string();
    dir_fd_ = ::open(dir_text.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) {
        const int err = errno;
        if (err == ENOENT) throw FileError(file, "cannot write: directory '" + dir_text + "' does not exist");
        if (err == ENOTDIR) throw FileError(file, "cannot write: '" + dir_text + "' is not a directory");
        throw FileError(file, "cannot write: cannot access directory '" + dir_text + "': " + errno_text(err));
    }
    install_handlers();
    slot_ = claim_slot();
    const std::string base = name_.substr(0, 100);
    for (int attempt = 0;; ++attempt) {
        temp_name_ = "." + base + "." + temp_suffix() + ".tmp";
        // Published before it exists: a signal between open() and publish() cannot leak it.
        publish(slot_, dir_fd_, temp_name_);
        fd_ = ::openat(dir_fd_, temp_name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ >= 0) break;
        const int err = errno;
        unpublish(slot_);
        if (err == EEXIST && attempt < 100) continue;
        temp_name_.clear();
        discard();
        throw FileError(file, "cannot write: cannot create a file in directory '" + dir_text + "': " + errno_text(err));
    }
    if (exists) {
        // Owner and group first (chown clears set-id bits), where this process may set them.
        if (::fchown(fd_, st.st_uid, st.st_gid) != 0) { /* not ours to give away: keep ours */ }
        if (::fchmod(fd_, st.st_mode & 0777) != 0) {
            const int err = errno;
            discard();
            throw FileError(file, "cannot write: cannot set the permission bits of the temporary: " + errno_text(err));
        }
    }
}

AtomicFile::~AtomicFile() { discard(); }

fs::path AtomicFile::temporary() const { return destination_.parent_path() / temp_name_; }

void AtomicFile::write(const void* data, std::size_t bytes) {
    if (fd_ < 0) throw FileError(target_.string(), "write failed: the file is already complete");
    const auto* p = static_cast<const unsigned char*>(data);
    while (bytes > 0) {
        const std::size_t chunk = std::min<std::size_t>(bytes, std::size_t{1} << 30);
        const ssize_t w = ::write(fd_, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw FileError(target_.string(), "write failed: " + errno_text(errno));
        }
        p += w;
        bytes -= static_cast<std::size_t>(w);
    }
}

void AtomicFile::finish() {
    if (fd_ < 0) return;
    if (::fsync(fd_) != 0) throw FileError(target_.string(), "fsync failed: " + errno_text(errno));
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw FileError(target_.string(), "write failed on close: " + errno_text(errno));
}

void AtomicFile::commit() {
    if (committed_) return;
    if (temp_name_.empty()) throw FileError(target_.string(), "cannot write: no temporary file");
    finish();
    if (::renameat(dir_fd_, temp_name_.c_str(), dir_fd_, name_.c_str()) != 0)
        throw FileError(target_.string(), "cannot replace the file: " + errno_text(errno));
    committed_ = true;
    release_slot(slot_);
    slot_ = -1;
    // Make the rename itself durable; failure here does not undo the (complete) write.
    const int d = ::openat(dir_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        (void)::fsync(d);
        ::close(d);
    }
}

void AtomicFile::discard() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (!committed_ && !temp_name_.empty() && dir_fd_ >= 0) ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
    release_slot(slot_);  // after the unlink: a signal in between finds nothing to remove
    slot_ = -1;
    if (dir_fd_ >= 0) {
        ::close(dir_fd_);
        dir_fd_ = -1;
    }
}

void write_files_atomically(const std::vector<std::pair<fs::path, std::string>>& files) {
    std::vector<std::unique_ptr<AtomicFile>> out;
    out.reserve(files.size());
    for (const auto& [path, text] : files) out.push_back(std::make_unique<AtomicFile>(path));
    for (std::size_t i = 0; i < files.size(); ++i) {
        out[i]->write(files[i].second);
        out[i]->finish();
    }
    for (auto& f : out) f->commit();
}

}  // namespace smb::detail
