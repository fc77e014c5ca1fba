#include "host/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using paddock::host::ControlSocket;
using paddock::host::PrepareControlSocketPath;

namespace {
struct Dir {
  Dir() {
    char t[] = "/tmp/paddock-ctl-XXXXXX";
    path = mkdtemp(t);
  }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string path;
};
}  // namespace

TEST_CASE("the socket is created owner-only in a fresh private directory", "[control_socket]") {
  Dir d;
  std::string path = d.path + "/sub/paddockd.sock";
  auto s = ControlSocket::Open(path, 0600);
  REQUIRE(s.ok());
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(stat((d.path + "/sub").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  (*s)->Stop();
  CHECK(access(path.c_str(), F_OK) != 0);
}

TEST_CASE("unsafe paths are refused with the reason", "[control_socket]") {
  Dir d;
  std::ofstream(d.path + "/file") << "x";
  auto not_socket = PrepareControlSocketPath(d.path + "/file");
  CHECK(not_socket.message().find("not a socket") != std::string_view::npos);

  std::filesystem::create_directory(d.path + "/open");
  chmod((d.path + "/open").c_str(), 0777);
  auto open = PrepareControlSocketPath(d.path + "/open/s.sock");
  CHECK(open.message().find("writable by others") != std::string_view::npos);

  std::filesystem::create_directory_symlink(d.path + "/open", d.path + "/link");
  auto link = PrepareControlSocketPath(d.path + "/link/s.sock");
  CHECK(link.message().find("symlink") != std::string_view::npos);

  auto too_long = PrepareControlSocketPath(d.path + "/" + std::string(200, 'x'));
  CHECK(absl::IsInvalidArgument(too_long));
}

TEST_CASE("a stale socket is replaced, a live one is not", "[control_socket]") {
  Dir d;
  std::string path = d.path + "/s.sock";
  {
    // A socket file nobody listens on any more.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path.c_str());
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    close(fd);
  }
  auto first = ControlSocket::Open(path, 0600);
  REQUIRE(first.ok());
  auto second = ControlSocket::Open(path, 0600);
  CHECK(absl::IsAlreadyExists(second.status()));
}
