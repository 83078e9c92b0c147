// The load client of the loopback benchmark in C (epoll, one thread): the same
// scenario, flags and JSON line as bench/load_client.ts, at a fraction of its
// CPU cost per request, so that the server under test is the bottleneck.
// bench/loopback.ts compiles it with `cc -O2` when a C compiler is present.
//
// usage: load_client --port PORT [--connections 50] [--inflight 16]
//        [--size 64] [--warmup 1] [--duration 5] [--server-pid PID]
//        [--frame raw|line|netstring|int32]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// CPU seconds (utime + stime) of a process, from /proc/PID/stat.
static double cpu_seconds(const char *pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (p == NULL) return 0;
  p += 2;  // field 3 (state)
  for (int field = 3; field < 14 && p != NULL; field++) {
    p = strchr(p, ' ');
    if (p != NULL) p++;
  }
  unsigned long long ut = 0, st = 0;
  if (p == NULL || sscanf(p, "%llu %llu", &ut, &st) != 2) return 0;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

// Busy CPU seconds of the whole machine (all but idle and iowait), from /proc/stat.
static double machine_busy_seconds(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL) return 0;
  unsigned long long v[10] = {0};
  int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
  fclose(f);
  if (got < 8) return 0;
  // user nice system idle iowait irq softirq steal (guest time is within user).
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

static void usage(void) {
  fprintf(stderr,
          "usage: load_client --port PORT [--connections N] [--inflight N] [--size N] "
          "[--warmup S] [--duration S] [--server-pid PID] [--frame raw|line|netstring|int32]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int port = 0, conns = 50, inflight = 16, size = 64;
  double warmup = 1, duration = 5;
  const char *server_pid = NULL;
  const char *frame = "raw";
  static struct option longopts[] = {
      {"port", required_argument, NULL, 'p'},     {"connections", required_argument, NULL, 'c'},
      {"inflight", required_argument, NULL, 'i'}, {"size", required_argument, NULL, 's'},
      {"warmup", required_argument, NULL, 'w'},   {"duration", required_argument, NULL, 'd'},
      {"server-pid", required_argument, NULL, 'P'}, {"host", required_argument, NULL, 'h'},
      {"frame", required_argument, NULL, 'f'},
      {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (opt) {
      case 'p': port = atoi(optarg); break;
      case 'c': conns = atoi(optarg); break;
      case 'i': inflight = atoi(optarg); break;
      case 's': size = atoi(optarg); break;
      case 'w': warmup = atof(optarg); break;
      case 'd': duration = atof(optarg); break;
      case 'P': server_pid = optarg; break;
      case 'f': frame = optarg; break;
      case 'h':
        if (strcmp(optarg, "127.0.0.1") != 0 && strcmp(optarg, "localhost") != 0) {
          fprintf(stderr, "error: Loopback only: %s\n", optarg);
          return 2;
        }
        break;
      default: usage();
    }
  }
  if (port < 1 || conns < 1 || inflight < 1 || size < 1 || duration <= 0) usage();
  signal(SIGPIPE, SIG_IGN);
  // Bounded in time whatever happens.
  alarm((unsigned)(warmup + duration + 30));

  size_t window = (size_t)inflight * (size_t)size;
  char *payload = malloc(window);
  long *partial = calloc((size_t)conns, sizeof(long));  // bytes of an unfinished message
  long *owed = calloc((size_t)conns, sizeof(long));     // bytes still to send
  int *fds = calloc((size_t)conns, sizeof(int));
  if (payload == NULL || partial == NULL || owed == NULL || fds == NULL) return 1;
  // Every message is `size` bytes, framed as the server under test expects,
  // so that each one is echoed whole: "aaa…\r\n", "60:aaa…,", or a 4-byte
  // big-endian length then the bytes.
  char *message = malloc((size_t)size);
  if (message == NULL) return 1;
  for (int i = 0; i < size; i++) message[i] = (char)('a' + i % 26);
  if (strcmp(frame, "line") == 0 && size >= 3) {
    message[size - 2] = '\r';
    message[size - 1] = '\n';
  } else if (strcmp(frame, "netstring") == 0 && size >= 4) {
    int digits = 1, length = size - 3;
    while (length >= (digits == 1 ? 10 : digits == 2 ? 100 : 1000)) digits++, length--;
    int head = snprintf(message, (size_t)size, "%d:", length);
    for (int i = head; i < size - 1; i++) message[i] = (char)('a' + i % 26);
    message[size - 1] = ',';
  } else if (strcmp(frame, "int32") == 0 && size >= 5) {
    unsigned length = (unsigned)size - 4;
    message[0] = (char)(length >> 24);
    message[1] = (char)(length >> 16);
    message[2] = (char)(length >> 8);
    message[3] = (char)length;
  } else if (strcmp(frame, "raw") != 0) {
    fprintf(stderr, "error: Unknown frame or size too small: %s\n", frame);
    return 2;
  }
  for (size_t i = 0; i < window; i++) payload[i] = message[i % (size_t)size];

  int ep = epoll_create1(0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  for (int i = 0; i < conns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
      fprintf(stderr, "error: connect: %s\n", strerror(errno));
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    fds[i] = fd;
    owed[i] = (long)window;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  static char buf[65536];
  struct epoll_event evs[256];
  double t = now(), start = t + warmup, end = start + duration;
  long long received = 0, reads = 0, start_received = 0, start_reads = 0;
  double cpu0 = 0, server0 = 0, busy0 = 0;
  int measuring = 0;
  for (;;) {
    t = now();
    if (!measuring && t >= start) {
      measuring = 1;
      start = t;
      start_received = received;
      start_reads = reads;
      cpu0 = cpu_seconds("self");
      server0 = server_pid ? cpu_seconds(server_pid) : 0;
      busy0 = machine_busy_seconds();
    }
    if (measuring && t >= end) break;
    int n = epoll_wait(ep, evs, 256, 50);
    if (n < 0 && errno != EINTR) {
      fprintf(stderr, "error: epoll_wait: %s\n", strerror(errno));
      return 1;
    }
    for (int k = 0; k < n; k++) {
      int i = (int)evs[k].data.u32;
      if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = read(fds[i], buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
          fprintf(stderr, "error: server closed a connection\n");
          return 1;
        }
        if (r > 0) {
          received += r;
          reads++;
          partial[i] += r;
          long done = partial[i] / size;
          partial[i] -= done * size;
          owed[i] += done * size;
        }
      }
      if (owed[i] > 0) {
        ssize_t w = write(fds[i], payload, (size_t)owed[i]);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
          fprintf(stderr, "error: write: %s\n", strerror(errno));
          return 1;
        }
        if (w > 0) owed[i] -= w;
        // Watch for writability only while something is owed.
        struct epoll_event ev = {.events = EPOLLIN | (owed[i] > 0 ? EPOLLOUT : 0),
                                 .data.u32 = (uint32_t)i};
        if ((evs[k].events & EPOLLOUT) || owed[i] > 0) epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
      } else if (evs[k].events & EPOLLOUT) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
      }
    }
  }
  double cpu1 = cpu_seconds("self");
  double server1 = server_pid ? cpu_seconds(server_pid) : 0;
  double busy1 = machine_busy_seconds();
  double seconds = now() - start;
  long long requests = (received - start_received) / size;
  double client_cpu = (cpu1 - cpu0) / seconds;
  double server_cpu = (server1 - server0) / seconds;
  double other_cpu = (busy1 - busy0 - (cpu1 - cpu0) - (server_pid ? server1 - server0 : 0)) / seconds;
  printf("{\"client\":\"c\",\"connections\":%d,\"inflight\":%d,\"size\":%d,\"seconds\":%.4f,"
         "\"requests\":%lld,\"rps\":%.1f,\"reads\":%lld,\"clientCpu\":%.4f,",
         conns, inflight, size, seconds, requests, (double)requests / seconds,
         reads - start_reads, client_cpu);
  if (server_pid) {
    printf("\"serverCpu\":%.4f,\"serverCpuUsPerRequest\":%.4f,", server_cpu,
           requests > 0 ? (server1 - server0) * 1e6 / (double)requests : 0.0);
  } else {
    printf("\"serverCpu\":null,\"serverCpuUsPerRequest\":null,");
  }
  printf("\"otherCpu\":%.4f}\n", other_cpu);
  fflush(stdout);
  return 0;
}
