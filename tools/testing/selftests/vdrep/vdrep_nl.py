#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one raw vdrep generic netlink request, for what vdrepctl cannot send.

The selftests use it to check the kernel's own validation: a request with an
attribute missing, or with values vdrepctl would refuse before asking; and to
read notifications and uevents exactly as the kernel sends them.

    vdrep_nl.py create [--name N] [--source PATH] [--chunk BYTES]
    vdrep_nl.py destroy [--name N]
    vdrep_nl.py get [--name N]
    vdrep_nl.py assoc-create [--volume V] [--name N] [--target PATH]
                [--sync-type T] [--sync-mode M] [--priority P] [--prepare-only]
                [--writable-view] [--rate BYTES] [--backlog BYTES]
    vdrep_nl.py assoc-modify [--volume V] [--name N] [--operation OP]
                [--priority P] [--rate BYTES] [--backlog BYTES] [--writable-view]
    vdrep_nl.py assoc-destroy [--volume V] [--name N]
    vdrep_nl.py assoc-get [--volume V] [--name N]     (a dump without --name)
    vdrep_nl.py listen [--ready FILE] [--count N] [--until REGEX] [--timeout S]
    vdrep_nl.py uevents [--ready FILE] [--match KEY=VALUE]... [--count N]
                [--until REGEX] [--timeout S]

An option left out leaves its attribute out of the request. Enum-valued
options (--sync-type, --sync-mode, --priority, --operation) take a number or
the value's name ("asynchronous", "fracture"); a number is sent as it is, even
one the enum does not have.

On success it prints the reply's attributes as "name=value" lines (a blank
line between the objects of a dump; --json: one JSON array of objects) and
exits 0; on an error it prints "vdrep_nl: <extack message>: <strerror>" like
vdrepctl and exits 1. Enum attributes print as their names spelled like
vdrepctl's ("resync-in-progress"), flags as "true".

listen joins the "events" multicast group and prints one line per
notification: "<command> key=value ..." (--json: one object a line, with
"cmd"); uevents prints every kernel uevent (the volume disks' KOBJ_CHANGE
among them) as one JSON object a line. Both touch --ready FILE once they
listen, and stop after --count lines, after a line matching --until, or after
--timeout seconds (exit 1 then).

Command, attribute and enum numbers are read from the uapi header
(uapi/linux/vdrep.h under $VDREP_TOP), so they follow the spec.
"""
import argparse
import json
import os
import re
import select
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
NETLINK_KOBJECT_UEVENT = 15
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_ACK_TLVS = 0x200
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

STRING_ATTRS = ("NAME", "DISK_NAME", "SOURCE_PATH", "META_PATH", "VOLUME",
                "TARGET_PATH", "VIEW_DISK_NAME")
FLAG_ATTRS = ("PREPARE_ONLY", "VIEW_WRITABLE")
# Attribute (without its set's prefix) -> the enum its value belongs to.
ENUM_ATTRS = {
    "COPY_STATE": "COPY_STATE",
    "REQUESTED_COPY_STATE": "COPY_STATE",
    "SYNC_STATE": "SYNC_STATE",
    "PROGRESS_STATUS": "PROGRESS_STATUS",
    "SYNC_TYPE": "SYNC_TYPE",
    "SYNC_MODE": "SYNC_MODE",
    "COPY_TYPE": "COPY_TYPE",
    "REPLICA_TYPE": "REPLICA_TYPE",
    "COPY_METHODOLOGY": "COPY_METHODOLOGY",
    "COPY_PRIORITY": "COPY_PRIORITY",
    "OPERATION": "OPERATION",
    "META_STATE": "META_STATE",
}


def uapi_enums(path):
    """Map every enumerator of the header to its value."""
    values = {}
    with open(path) as f:
        text = f.read()
    for body in re.findall(r"enum\s*\w*\s*\{(.*?)\}", text, re.S):
        nxt = 0
        for item in body.split(","):
            item = re.sub(r"/\*.*?\*/", "", item, flags=re.S).strip()
            if not item:
                continue
            m = re.match(r"(\w+)\s*(?:=\s*(.+))?$", item, re.S)
            if not m:
                continue
            name, expr = m.group(1), m.group(2)
            if expr is not None:
                try:
                    nxt = int(expr.strip(), 0)
                except ValueError:
                    continue  # "X_MAX = (__X_MAX - 1)": not needed
            values[name] = nxt
            nxt += 1
    return values


def enum_value_names(enums, enum):
    """{value: "cli-name"} of enum vdrep_<enum> (VDREP_<ENUM>_<VALUE>)."""
    prefix = "VDREP_%s_" % enum
    out = {}
    for k, v in enums.items():
        if not k.startswith(prefix):
            continue
        out[v] = k[len(prefix):].lower().replace("_", "-")
    return out


def align4(n):
    return (n + 3) & ~3


def attr(atype, payload):
    return struct.pack("=HH", 4 + len(payload), atype) + payload + b"\0" * (align4(len(payload)) - len(payload))


def parse_attrs(data):
    attrs = {}
    while len(data) >= 4:
        alen, atype = struct.unpack_from("=HH", data)
        if alen < 4:
            break
        attrs[atype & 0x3FFF] = data[4:alen]
        data = data[align4(alen):]
    return attrs


def parse_attr_list(data):
    """Attributes in order, keeping repeated types (nested arrays)."""
    out = []
    while len(data) >= 4:
        alen, atype = struct.unpack_from("=HH", data)
        if alen < 4:
            break
        out.append((atype & 0x3FFF, data[4:alen]))
        data = data[align4(alen):]
    return out


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, family, cmd, version, payload, dump=False):
        """Send one request; return (error, extack message, [(cmd, reply attrs)])."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + payload
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        hdr = struct.pack("=IHHII", 16 + len(body), family, flags, self.seq, 0)
        self.sock.send(hdr + body)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            while len(data) >= 16:
                mlen, mtype, mflags, mseq, _ = struct.unpack_from("=IHHII", data)
                msg, data = data[16:mlen], data[align4(mlen):]
                if mseq != self.seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err = struct.unpack_from("=i", msg)[0]
                    text = ""
                    if mflags & NLM_F_ACK_TLVS:
                        # NETLINK_CAP_ACK: only the request's header is echoed.
                        tlvs = parse_attrs(msg[4 + 16:])
                        if NLMSGERR_ATTR_MSG in tlvs:
                            text = tlvs[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode(errors="replace")
                    return -err, text, replies
                if mtype == NLMSG_DONE:
                    # A dump's end may carry an error and extack too.
                    err = struct.unpack_from("=i", msg)[0] if len(msg) >= 4 else 0
                    text = ""
                    if err and mflags & NLM_F_ACK_TLVS:
                        tlvs = parse_attrs(msg[4:])
                        if NLMSGERR_ATTR_MSG in tlvs:
                            text = tlvs[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode(errors="replace")
                    return -err, text, replies
                replies.append((msg[0], parse_attrs(msg[4:])))

    def family(self, name):
        """-> (family id, {multicast group name: id})"""
        err, _, replies = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
                                       attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if err or not replies:
            return None, {}
        reply = replies[0][1]
        fid = struct.unpack("=H", reply[CTRL_ATTR_FAMILY_ID][:2])[0]
        groups = {}
        for _, grp in parse_attr_list(reply.get(CTRL_ATTR_MCAST_GROUPS, b"")):
            g = parse_attrs(grp)
            if CTRL_ATTR_MCAST_GRP_NAME in g and CTRL_ATTR_MCAST_GRP_ID in g:
                gname = g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()
                groups[gname] = struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID][:4])[0]
        return fid, groups


class Uapi:
    def __init__(self):
        top = os.environ.get("VDREP_TOP") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../..")
        self.enums = uapi_enums(os.path.join(top, "uapi/linux/vdrep.h"))
        self.cmd_names = {v: k[len("VDREP_CMD_"):].lower().replace("_", "-")
                          for k, v in self.enums.items()
                          if k.startswith("VDREP_CMD_") and not k.startswith("VDREP_CMD_MAX")
                          and not k.startswith("__")}
        self.value_names = {e: enum_value_names(self.enums, e) for e in set(ENUM_ATTRS.values())}

    def attr_id(self, aset, name):
        return self.enums["VDREP_A_%s_%s" % (aset, name)]

    def enum_number(self, enum, text):
        """A number, or a value name of the enum -> its number."""
        if re.fullmatch(r"-?\d+", text):
            return int(text) & 0xFFFFFFFF
        for v, n in self.value_names[enum].items():
            if n == text:
                return v
        sys.exit("vdrep_nl: %s is not a value of %s" % (text, enum.lower()))

    def decode(self, aset, attrs):
        """Reply attributes -> {name: value} in the attribute set's order."""
        prefix = "VDREP_A_%s_" % aset
        names = {v: k[len(prefix):] for k, v in self.enums.items()
                 if k.startswith(prefix) and not k.endswith("_MAX")}
        out = {}
        for atype, data in sorted(attrs.items()):
            key = names.get(atype, str(atype))
            if key == "PAD":
                continue
            if key in STRING_ATTRS:
                value = data.rstrip(b"\0").decode(errors="replace")
            elif key in FLAG_ATTRS:
                value = True
            elif len(data) == 8:
                value = struct.unpack("=Q", data)[0]
            elif len(data) == 4:
                value = struct.unpack("=I", data)[0]
            elif len(data) == 2:
                value = struct.unpack("=H", data)[0]
            elif len(data) == 1:
                value = data[0]
            else:
                value = data.hex()
            if key in ENUM_ATTRS and isinstance(value, int):
                value = self.value_names[ENUM_ATTRS[key]].get(value, str(value))
            out[key.lower()] = value
        return out


def text_value(v):
    if v is True:
        return "true"
    return str(v)


def build_volume(u, args):
    payload = b""
    if args.name is not None:
        payload += attr(u.attr_id("VOLUME", "NAME"), args.name.encode() + b"\0")
    if args.source is not None:
        payload += attr(u.attr_id("VOLUME", "SOURCE_PATH"), args.source.encode() + b"\0")
    if args.chunk is not None:
        payload += attr(u.attr_id("VOLUME", "CHUNK_SIZE"), struct.pack("=I", args.chunk & 0xFFFFFFFF))
    return payload


def build_assoc(u, args):
    a = lambda n: u.attr_id("ASSOC", n)
    payload = b""
    for opt, name in (("volume", "VOLUME"), ("name", "NAME"), ("target", "TARGET_PATH")):
        v = getattr(args, opt, None)
        if v is not None:
            payload += attr(a(name), v.encode() + b"\0")
    for opt, name, enum in (("sync_type", "SYNC_TYPE", "SYNC_TYPE"),
                            ("sync_mode", "SYNC_MODE", "SYNC_MODE"),
                            ("priority", "COPY_PRIORITY", "COPY_PRIORITY"),
                            ("operation", "OPERATION", "OPERATION")):
        v = getattr(args, opt, None)
        if v is not None:
            payload += attr(a(name), struct.pack("=I", u.enum_number(enum, v)))
    for opt, name in (("rate", "RATE_LIMIT"), ("backlog", "BACKLOG_LIMIT")):
        v = getattr(args, opt, None)
        if v is not None:
            payload += attr(a(name), struct.pack("=Q", v & 0xFFFFFFFFFFFFFFFF))
    if getattr(args, "prepare_only", False):
        payload += attr(a("PREPARE_ONLY"), b"")
    if getattr(args, "writable_view", False):
        payload += attr(a("VIEW_WRITABLE"), b"")
    return payload


class Stopper:
    """--count, --until and --timeout of listen and uevents."""

    def __init__(self, args):
        self.count = args.count
        self.until = re.compile(args.until) if args.until else None
        self.deadline = time.monotonic() + args.timeout if args.timeout else None
        self.seen = 0

    def remaining(self):
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def line(self, text):
        print(text, flush=True)
        self.seen += 1
        if self.count and self.seen >= self.count:
            return True
        return bool(self.until and self.until.search(text))


def touch(path):
    if path:
        with open(path, "w"):
            pass


def listen(u, args):
    nl = Genl()
    fid, groups = nl.family("vdrep")
    if fid is None:
        print("vdrep_nl: vdrep module not loaded", file=sys.stderr)
        return 1
    if "events" not in groups:
        print("vdrep_nl: the vdrep family has no events group", file=sys.stderr)
        return 1
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, 0))
    sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, groups["events"])
    touch(args.ready)
    stop = Stopper(args)
    while True:
        r, _, _ = select.select([sock], [], [], stop.remaining())
        if not r:
            return 1
        data = sock.recv(1 << 20)
        while len(data) >= 16:
            mlen, mtype, _, _, _ = struct.unpack_from("=IHHII", data)
            msg, data = data[16:mlen], data[align4(mlen):]
            if mtype != fid or len(msg) < 4:
                continue
            cmd = u.cmd_names.get(msg[0], str(msg[0]))
            aset = "ASSOC" if cmd.startswith("assoc") else "VOLUME"
            obj = u.decode(aset, parse_attrs(msg[4:]))
            if args.json:
                text = json.dumps(dict(cmd=cmd, **obj))
            else:
                text = " ".join([cmd] + ["%s=%s" % (k, text_value(v)) for k, v in obj.items()])
            if stop.line(text):
                return 0


def uevents(args):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, 1))
    touch(args.ready)
    match = [m.split("=", 1) for m in args.match]
    stop = Stopper(args)
    while True:
        r, _, _ = select.select([sock], [], [], stop.remaining())
        if not r:
            return 1
        data = sock.recv(1 << 20)
        parts = data.split(b"\0")
        if not parts or b"@" not in parts[0] or parts[0].startswith(b"libudev"):
            continue
        env = {}
        for p in parts[1:]:
            if b"=" in p:
                k, v = p.split(b"=", 1)
                env[k.decode(errors="replace")] = v.decode(errors="replace")
        if any(env.get(k) != v for k, v in match):
            continue
        if stop.line(json.dumps(env, sort_keys=True)):
            return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("create", "destroy", "get", "assoc-create", "assoc-modify",
                                        "assoc-destroy", "assoc-get", "listen", "uevents"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--name")
    ap.add_argument("--source")
    ap.add_argument("--chunk", type=int)
    ap.add_argument("--volume")
    ap.add_argument("--target")
    ap.add_argument("--sync-type")
    ap.add_argument("--sync-mode")
    ap.add_argument("--priority")
    ap.add_argument("--operation")
    ap.add_argument("--rate", type=int)
    ap.add_argument("--backlog", type=int)
    ap.add_argument("--prepare-only", action="store_true")
    ap.add_argument("--writable-view", action="store_true")
    ap.add_argument("--ready")
    ap.add_argument("--count", type=int)
    ap.add_argument("--until")
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--match", action="append", default=[])
    args = ap.parse_args()

    if args.command == "uevents":
        return uevents(args)
    u = Uapi()
    if args.command == "listen":
        return listen(u, args)

    dump = False
    if args.command.startswith("assoc-"):
        aset = "ASSOC"
        cmd = u.enums["VDREP_CMD_" + args.command.upper().replace("-", "_")]
        payload = build_assoc(u, args)
        dump = args.command == "assoc-get" and args.name is None
    else:
        aset = "VOLUME"
        cmd = u.enums["VDREP_CMD_VOLUME_" + args.command.upper()]
        payload = build_volume(u, args)

    nl = Genl()
    family, _ = nl.family("vdrep")
    if family is None:
        print("vdrep_nl: vdrep module not loaded", file=sys.stderr)
        return 1

    err, text, replies = nl.request(family, cmd, 1, payload, dump=dump)
    if err:
        what = text or "%s failed" % args.command
        print("vdrep_nl: %s: %s" % (what, os.strerror(err)), file=sys.stderr)
        return 1
    objs = [u.decode(aset, attrs) for _, attrs in replies]
    if args.json:
        print(json.dumps(objs))
        return 0
    for i, obj in enumerate(objs):
        if i and dump:
            print()
        for key, value in obj.items():
            print("%s=%s" % (key, text_value(value)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
