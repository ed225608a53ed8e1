"""Hand-written STIX 2.1 patterns, each with the verdict of the reference validator.

``corpus()`` returns ``(pattern, valid)`` pairs where ``valid`` is what
``stix2patterns.validator.validate(pattern, stix_version='2.1')`` answers (an
exception counts as "not valid").  ``tests/unit/test_pattern.py`` checks both
the verdicts and cirx's agreement with them; ``bench/pattern_speed.py``
counts disagreements on it.  This is the one copy of the corpus.
"""

from __future__ import annotations

_MD5 = "79054025255fb1a26e4bc422aef54eb4"
_SHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
_SHA256 = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
_SHA512 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" * 2
_TS1 = "t'2016-06-01T00:00:00Z'"
_TS2 = "t'2016-07-01T00:00:00.123Z'"

# Indicator styles seen in STIX feeds, the STIX 2.1 spec examples and MISP
# (misp-stix) exports.
_VALID = [
    # ipv4 / ipv6, with and without CIDR
    "[ipv4-addr:value = '198.51.100.1']",
    "[ipv4-addr:value = '198.51.100.0/24']",
    "[ipv4-addr:value = '203.0.113.1' OR ipv4-addr:value = '203.0.113.2']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[ipv4-addr:value ISSUPERSET '198.51.100.7']",
    "[ipv6-addr:value = '2001:db8::1']",
    "[ipv6-addr:value = '2001:0db8:dead:beef::/64']",
    "[ipv4-addr:value IN ('198.51.100.1', '198.51.100.2', '203.0.113.9')]",
    "[ipv4-addr:value NOT IN ('10.0.0.1')]",
    # domains, urls
    "[domain-name:value = 'evil.example.com']",
    "[domain-name:value LIKE '%.example.com']",
    "[domain-name:value MATCHES '^[a-z0-9]{16}\\\\.onion$']",
    "[domain-name:value = 'example.com' AND domain-name:resolves_to_refs[*].value = '198.51.100.3']",
    "[url:value = 'http://example.com/foo?bar=baz&x=1']",
    "[url:value = 'https://example.com/it\\'s/here']",
    "[url:value LIKE 'http://%/gate.php']",
    # file hashes (quoted and unquoted keys, every spelling MISP uses)
    f"[file:hashes.MD5 = '{_MD5}']",
    f"[file:hashes.md5 = '{_MD5}']",
    f"[file:hashes.'MD5' = '{_MD5}']",
    f"[file:hashes.'SHA-1' = '{_SHA1}']",
    f"[file:hashes.SHA1 = '{_SHA1}']",
    f"[file:hashes.'SHA-256' = '{_SHA256}']",
    f"[file:hashes.SHA256 = '{_SHA256}']",
    f"[file:hashes.'SHA-512' = '{_SHA512}']",
    f"[file:hashes.'SHA3-256' = '{_SHA256}']",
    "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
    "[file:hashes.TLSH = 'T1A0B1C2']",
    f"[file:hashes.MD5 = '{_MD5}' OR file:hashes.'SHA-1' = '{_SHA1}']",
    f"[file:name = 'malware.exe' AND file:hashes.'SHA-256' = '{_SHA256}']",
    f"[file:hashes.MD5 != '{_MD5}']",
    f"[x509-certificate:hashes.'SHA-1' = '{_SHA1}']",
    f"[artifact:hashes.'SHA-256' = '{_SHA256}']",
    "[EXISTS file:hashes.MD5]",
    "[EXISTS file:hashes.'SHA-256']",
    # file properties, paths, extensions
    "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
    "[file:size > 1024 AND file:size <= 1048576]",
    "[file:size IN (1024, 2048, 4096)]",
    "[file:created = t'2014-01-13T07:03:17Z']",
    "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
    "[file:extensions.'windows-pebinary-ext'.imphash = 'f34d5f2d4577ed6d9ceec516c1f5a744']",
    "[file:name MATCHES '^.*\\\\.exe$']",
    "[directory:path LIKE 'C:\\\\\\\\Windows\\\\\\\\%']",
    # email (misp-stix style)
    "[email-addr:value = 'jdoe@example.com' AND email-addr:display_name = 'John Doe']",
    "[email-message:from_ref.value = 'attacker@example.com']",
    "[email-message:subject = 'Invoice' AND email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$']",
    "[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
    "[email-message:additional_header_fields.reply_to = 'reply@example.com']",
    "[email-message:additional_header_fields.'X-Mailer' = 'PHPMailer']",
    # registry, process, mutex, software, user accounts
    "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Software\\\\Microsoft\\\\Run']",
    "[windows-registry-key:key = 'HKLM\\\\Run' AND windows-registry-key:values[*].data = 'evil.exe']",
    "[windows-registry-key:values[0].name = 'Updater']",
    "[EXISTS windows-registry-key:values]",
    "[NOT EXISTS windows-registry-key:values[*].data]",
    "[process:name = 'cmd.exe' AND process:command_line LIKE '%powershell -enc%']",
    "[process:pid = 4 OR process:pid = -1]",
    "[process:arguments[+1] = '/c']",
    "[mutex:name = 'Global\\\\MsWinZonesCacheCounterMutexA']",
    "[software:name = 'Word' AND software:cpe = 'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*']",
    "[user-account:account_type = 'unix' AND user-account:user_id = '1007']",
    "[mac-addr:value = 'd2:fb:49:24:37:18']",
    "[autonomous-system:number = 15169]",
    # network traffic with refs (misp-stix style)
    "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33']",
    "[network-traffic:dst_port = 443 AND network-traffic:protocols[*] = 'tcp']",
    "[network-traffic:dst_port = '8080']",
    "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/4.0']",
    "[network-traffic:start > t'2016-06-01T00:00:00Z' AND network-traffic:start < "
    "t'2016-06-02T00:00:00.5Z']",
    "[network-traffic:src_byte_count >= 1.5 AND network-traffic:dst_byte_count < .5]",
    # literals: booleans, hex, binary, negative and signed numbers
    "[file:is_encrypted = true]",
    "[file:is_encrypted != false]",
    "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
    "[artifact:payload_bin = b'YWJj' OR artifact:payload_bin = b'YQ==']",
    "[file:magic_number_hex = h'']",
    "[x-foo:temperature = -3.25 AND x-foo:delta = +2 AND x-foo:zero = -0]",
    "[x-foo:list IN ()]",
    "[x-foo:mixed IN ('a', 1, 2.5, true, h'00', b'AAAA', t'2020-01-01T00:00:00Z')]",
    "[x-foo:'quoted key'.'another one' = 'x']",
    # operators spelled the other ways
    "[x-foo:a == 1]",
    "[x-foo:a <> 1]",
    "[x-foo:a NOT = 1 AND x-foo:b NOT LIKE 'x%' AND x-foo:c NOT MATCHES '^a']",
    "[x-foo:a NOT > 5]",
    # observation expressions and qualifiers
    f"[file:hashes.MD5 = '{_MD5}'] FOLLOWEDBY [windows-registry-key:key = 'HKLM\\\\foo'] "
    "WITHIN 300 SECONDS",
    f"([file:hashes.'SHA-256' = '{_SHA256}'] AND [process:name = 'x']) WITHIN 300 SECONDS",
    "[network-traffic:dst_ref.value = '203.0.113.33/32'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    f"[process:name = 'cmd.exe'] START {_TS1} STOP {_TS2}",
    f"[a:b = 1] REPEATS 2 TIMES WITHIN 5.5 SECONDS START {_TS1} STOP {_TS2}",
    "[a:b = 1] WITHIN 0 SECONDS",
    "[a:b = 1] REPEATS 0 TIMES",
    "[a:b = 1] WITHIN .5 SECONDS",
    f"[a:b = 1] START {_TS2} STOP {_TS1}",
    "([a:b = 1] OR [a:c = 2]) AND [a:d = 3] FOLLOWEDBY [a:e = 4]",
    "(([a:b = 1]))",
    "[(a:b = 1 OR a:c = 2) AND a:d = 3]",
    "[a:b = 1]AND[a:c = 2]",
    # whitespace and comments the lexer skips
    "  [a:b = 1]  ",
    "\t[a:b\n=\n1]\r\n",
    "\u00a0[a:b = 1]",
    "[a:b = 1] // trailing comment",
    "[a:b = 1 /* inline comment */]",
    # accepted surprises
    "([a:b = 1]) WITHIN 5 SECONDS WITHIN 10 SECONDS",
    "[ipv4-addr:value = '198.51.100.1' AND domain-name:value = 'example.com']",
    "[file:created = t'2020-02-31T23:59:60Z']",
    "[file:hashes.MD5 = 12345678901234567890123456789012]",
    f"[file:hashes.MD5 = '{_MD5}\n']",
    "[File:Name = 'x']",
    "[x-:y = 1]",
    "[and:b = 1]",
]

_INVALID = [
    # empty and bracket problems
    "",
    "   ",
    "[]",
    "[file:name = 'a'",
    "file:name = 'a']",
    "file:name = 'a'",
    "[file:name = 'a']]",
    "[[file:name = 'a']]",
    "([file:name = 'a']",
    "[file:name = 'a'])",
    "[file:name = 'a'] [file:name = 'b']",
    "[file:name = 'a'] AND",
    "[file:name = 'a'] garbage",
    "/* leading comment */ [a:b = 1]",
    "[a:b = 1] /* unterminated",
    "\u200b[a:b = 1]",
    # quoting and escapes
    "[file:name = 'a]",
    "[file:name = a]",
    '[file:name = "a"]',
    "[file:name = 'C:\\Windows']",
    "[file:name MATCHES '^\\d+$']",
    "[file:name = 'it''s']",
    # operators
    "[file:name === 'a']",
    "[file:name ~= 'a']",
    "[file:name =! 'a']",
    "[file:name like 'a%']",
    "[file:name LIKE 5]",
    "[file:name MATCHES b'AAAA']",
    "[file:is_encrypted > true]",
    "[file:name IN 'a']",
    "[file:name IN ('a',)]",
    "[file:name IN ('a' 'b')]",
    "[file:name NOT NOT = 'a']",
    "[file:name NOT EXISTS]",
    "[EXISTS]",
    "[file:name =]",
    "[= 'a']",
    # keywords and case
    "[file:name = 'a' and file:size = 1]",
    "[file:name = 'a'] and [file:size = 1]",
    "[file:name = 'a'] followedby [file:size = 1]",
    "[file:is_encrypted = TRUE]",
    "[file:is_encrypted = True]",
    "[file:name = NULL]",
    "[AND:b = 1]",
    "[true:b = 1]",
    "[a:IN = 1]",
    "[a:LAST = 1]",
    "[a:b = 1] LAST 5 SECONDS",
    # object types and paths
    "[1file:name = 'a']",
    "[file name = 'a']",
    "[file:name-x = 'a']",
    "[file::name = 'a']",
    "[:name = 'a']",
    "[file: = 'a']",
    "[file:name. = 'a']",
    "[file:name.[0] = 'a']",
    "[file:name[] = 'a']",
    "[file:name[x] = 'a']",
    "[file:name[01] = 'a']",
    "[file:name[0 = 'a']",
    "[file:name[-1] = 'a']",
    "[file:hashes[0] = 'a']",
    "['file':name = 'a']",
    # numbers
    "[file:size = 007]",
    "[file:size = 1e5]",
    "[file:size = 0x10]",
    "[file:size = - 1]",
    "[file:size = 1.]",
    "[file:size = 1.2.3]",
    # timestamps
    "[file:created = t'2020-13-01T00:00:00Z']",
    "[file:created = t'2020-00-10T00:00:00Z']",
    "[file:created = t'2020-01-32T00:00:00Z']",
    "[file:created = t'2020-01-01T24:00:00Z']",
    "[file:created = t'2020-01-01T00:60:00Z']",
    "[file:created = t'2020-01-01T00:00:61Z']",
    "[file:created = t'2020-01-01 00:00:00Z']",
    "[file:created = t'2020-01-01T00:00:00']",
    "[file:created = t'2020-01-01T00:00:00+00:00']",
    "[file:created = t'2020-01-01T00:00:00.Z']",
    "[file:created = T'2020-01-01T00:00:00Z']",
    "[file:created = '2020-01-01T00:00:00Z'] START '2020-01-01T00:00:00Z' STOP "
    "'2020-02-01T00:00:00Z'",
    # hex and binary
    "[file:magic_number_hex = h'abc']",
    "[file:magic_number_hex = h'zz']",
    "[artifact:payload_bin = b'']",
    "[artifact:payload_bin = b'abc']",
    "[artifact:payload_bin = b'ab=']",
    "[artifact:payload_bin = b'a===']",
    # hash values the reference checks per hash name
    "[file:hashes.MD5 = 'not-a-hash']",
    f"[file:hashes.MD5 = '{_MD5}0']",
    f"[file:hashes.'SHA-256' = '{_SHA1}']",
    f"[file:hashes.SHA1 = '{_SHA256}']",
    "[file:hashes.SSDEEP = 'has spaces']",
    f"[file:hashes.MD5 IN ('{_MD5}')]",
    f"[file:hashes.'SHA-256' LIKE '{_SHA256[:10]}%']",
    # qualifiers
    "[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES",
    f"[a:b = 1] START {_TS1} STOP {_TS2} START {_TS1} STOP {_TS2}",
    "[a:b = 1] WITHIN -5 SECONDS",
    "[a:b = 1] WITHIN 5 SECOND",
    "[a:b = 1] WITHIN 5",
    "[a:b = 1] within 5 seconds",
    "[a:b = 1] REPEATS 1.5 TIMES",
    "[a:b = 1] REPEATS 2",
    f"[a:b = 1] START {_TS1}",
    f"[a:b = 1] STOP {_TS1}",
    "WITHIN 5 SECONDS [a:b = 1]",
    "[a:b = 1] FOLLOWEDBY",
    "[a:b = 1 WITHIN 5 SECONDS]",
    # comparison structure
    "[a:b = 1 AND]",
    "[a:b = 1 OR OR a:c = 2]",
    "[(a:b = 1]",
    "[a:b = 1)]",
    "[(a:b = 1) AND (a:c = 2]",
    "[a:b = 1 FOLLOWEDBY a:c = 2]",
    "[[a:b = 1] AND a:c = 2]",
]


def corpus() -> list[tuple[str, bool]]:
    """Every hand-written pattern with the reference verdict (True = valid)."""
    return [(p, True) for p in _VALID] + [(p, False) for p in _INVALID]
