#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one raw vdrep generic netlink request, for what vdrepctl cannot send.

The selftests use it to check the kernel's own validation: a request with an
attribute missing, or with values vdrepctl would refuse before asking.

    vdrep_nl.py create [--name N] [--source PATH] [--chunk BYTES]
    vdrep_nl.py destroy [--name N]
    vdrep_nl.py get [--name N]

An option left out leaves its attribute out of the request. On success it
prints the reply's volume attributes as "name=value" lines and exits 0; on
an error it prints "vdrep_nl: <extack message>: <strerror>" like vdrepctl
and exits 1. Command and attribute numbers are read from the uapi header
(uapi/linux/vdrep.h under $VDREP_TOP), so they follow the spec.
"""
import argparse
import os
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_ACK_TLVS = 0x200
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2

STRING_ATTRS = ("NAME", "DISK_NAME", "SOURCE_PATH", "META_PATH")


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


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, family, cmd, version, payload):
        """Send one request; return (error, extack message, [reply attrs])."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + payload
        hdr = struct.pack("=IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK, self.seq, 0)
        self.sock.send(hdr + body)
        replies = []
        while True:
            data = self.sock.recv(65536)
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
                    return 0, "", replies
                replies.append(parse_attrs(msg[4:]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("create", "destroy", "get"))
    ap.add_argument("--name")
    ap.add_argument("--source")
    ap.add_argument("--chunk", type=int)
    args = ap.parse_args()

    top = os.environ.get("VDREP_TOP") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../..")
    enums = uapi_enums(os.path.join(top, "uapi/linux/vdrep.h"))
    cmd = enums["VDREP_CMD_VOLUME_" + args.command.upper()]

    payload = b""
    if args.name is not None:
        payload += attr(enums["VDREP_A_VOLUME_NAME"], args.name.encode() + b"\0")
    if args.source is not None:
        payload += attr(enums["VDREP_A_VOLUME_SOURCE_PATH"], args.source.encode() + b"\0")
    if args.chunk is not None:
        payload += attr(enums["VDREP_A_VOLUME_CHUNK_SIZE"], struct.pack("=I", args.chunk))

    nl = Genl()
    err, text, replies = nl.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
                                    attr(CTRL_ATTR_FAMILY_NAME, b"vdrep\0"))
    if err or not replies:
        print("vdrep_nl: vdrep module not loaded", file=sys.stderr)
        return 1
    family = struct.unpack("=H", replies[0][CTRL_ATTR_FAMILY_ID][:2])[0]

    err, text, replies = nl.request(family, cmd, 1, payload)
    if err:
        what = text or "%s failed" % args.command
        print("vdrep_nl: %s: %s" % (what, os.strerror(err)), file=sys.stderr)
        return 1
    names = {v: k[len("VDREP_A_VOLUME_"):] for k, v in enums.items() if k.startswith("VDREP_A_VOLUME_")}
    for reply in replies:
        for atype, data in sorted(reply.items()):
            key = names.get(atype, str(atype))
            if key in STRING_ATTRS:
                value = data.rstrip(b"\0").decode(errors="replace")
            elif len(data) == 8:
                value = struct.unpack("=Q", data)[0]
            elif len(data) == 4:
                value = struct.unpack("=I", data)[0]
            else:
                value = data.hex()
            print("%s=%s" % (key.lower(), value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
