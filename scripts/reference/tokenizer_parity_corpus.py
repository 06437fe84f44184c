#!/usr/bin/env python3
"""Writes test/MaskedSft.MLNet.Tests/Fixtures/Tokenizers/parity_corpus.json: the strings on which the C# tokenizer must give
exactly the ids of Hugging Face `tokenizers` (see tokenizer_parity_reference.py).

Hand-written cases cover scripts and languages, emoji (ZWJ sequences, skin tones, flags, keycaps), combining marks and NFC,
white-space runs, tabs, CRLF, code, numbers, URLs, special tokens inside text, the regexes' corner cases (contractions,
lookahead, letters outside the BMP) and very long words; a seeded generator adds random mixtures of all of these.
Deterministic: the same file every run. Run: /usr/bin/python3 scripts/reference/tokenizer_parity_corpus.py
"""
import json
import os
import random

HAND_WRITTEN = [
    "",
    " ",
    "  ",
    "\n",
    "\t",
    "a",
    "Hello world",
    "Hello, world! How are you doing today?",
    " leading space",
    "trailing space ",
    "trailing spaces   ",
    "double  space and   triple   space",
    "tabs\tbetween\t\twords\t",
    "\t\tindented with tabs",
    "line one\nline two\n\nline four\n",
    "windows\r\nline\r\nendings\r\n",
    "mixed \r\n \n\r \t\n  end",
    "spaces before newline   \nnext",
    "   \n\n   \n",
    "only\u00a0nbsp\u00a0here",
    "ideographic\u3000space\u3000here",
    "em\u2003space and thin\u2009space and narrow\u202fnbsp",
    "line\u2028separator and paragraph\u2029separator",
    "next line \u0085 char",
    "vertical\u000btab and form\u000cfeed",
    # Contractions (case-insensitive for Qwen, case-sensitive for GPT-2).
    "I'm you're he's she'll we've they'd it's don't",
    "I'M YOU'RE HE'S SHE'LL WE'VE THEY'D IT'S DON'T",
    "I'Ll We'Ve They'D 'S 'T",
    "'s's'S'sS",
    "rock 'n' roll and 'quoted' words",
    "long s contraction: it'\u017f and '\u017fo",
    "'\u017fo x'\u017fo 'Sup 'LLama 'Reason 'VEry 'Dog 'tis",
    "apostrophe at end'",
    "'",
    "''",
    # English prose and punctuation.
    "The quick brown fox jumps over the lazy dog.",
    "\"Quotes\", (parentheses), [brackets], {braces}; colons: and... ellipses!?",
    "Smart \u201cquotes\u201d and \u2018single\u2019 and dashes \u2013 \u2014 and bullets \u2022 here.",
    "Well...what?!--no way!!!",
    "e-mail: someone@example.com, CC: other.person+tag@sub.example.org",
    "#hashtag @mention $dollars %percent ^caret &and *star",
    # Numbers.
    "0",
    "123",
    "1234567890",
    "3.14159265358979323846",
    "-42 +17 1e-9 6.02e23 0x1F 0b1010 1_000_000",
    "Prices: $1,299.99 or \u20ac1.299,99 or \u00a512,000",
    "Dates 2024-01-31 and 31/01/2024 and 12:34:56.789",
    "Phone +1 (555) 123-4567",
    "Arabic-Indic \u0661\u0662\u0663 and Devanagari \u0967\u0968\u0969 digits",
    "Roman numerals \u2160\u2161\u2162 \u216b and superscripts x\u00b2 y\u00b3 and fractions \u00bd \u00be",
    "Fullwidth \uff11\uff12\uff13 digits and circled \u2460\u2461\u2462",
    "9" * 50,
    # URLs and paths.
    "https://www.example.com/path/to/page?query=value&other=1#section",
    "Visit http://localhost:8080/api/v1/users/42 now.",
    "C:\\Users\\name\\Documents\\file.txt and /usr/local/bin/python3",
    "git@github.com:owner/repo.git",
    # Code.
    "def add(a, b):\n    return a + b\n",
    "for (int i = 0; i < n; i++) {\n\tsum += values[i];\n}\n",
    "const f = (x) => x ** 2; // square\nconsole.log(f(3));",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "<div class=\"main\"><p>Hello &amp; welcome</p></div>",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "x = [i**2 for i in range(10) if i % 2 == 0]  # comprehension",
    "    indented = True\n        more_indented = False\n",
    "if a != b && c <= d || !e { return; }",
    "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
    "$ ls -la | grep '.txt' > out.log 2>&1",
    "ALL_CAPS_CONSTANT = 0xDEADBEEF",
    "camelCaseIdentifier snake_case_identifier kebab-case-identifier",
    # European languages.
    "Fran\u00e7ais : \u00e0 bient\u00f4t, o\u00f9 \u00eates-vous ? \u00c7a va tr\u00e8s bien !",
    "Deutsch: Stra\u00dfe, \u00dcbergr\u00f6\u00dfentr\u00e4ger, Gr\u00fc\u00dfe aus M\u00fcnchen",
    "Espa\u00f1ol: \u00bfC\u00f3mo est\u00e1s? \u00a1Muy bien! El ni\u00f1o comi\u00f3 pi\u00f1a.",
    "Portugu\u00eas: n\u00e3o, cora\u00e7\u00e3o, a\u00e7\u00e3o, informa\u00e7\u00f5es",
    "Polski: Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144",
    "\u010ce\u0161tina: P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148 \u00fap\u011bl \u010f\u00e1belsk\u00e9 \u00f3dy",
    "T\u00fcrk\u00e7e: \u0130stanbul, \u0131\u015f\u0131k, \u011f\u00fcl, \u00e7i\u00e7ek",
    "Svenska: \u00e5 \u00e4 \u00f6, Norsk: \u00e6 \u00f8 \u00e5, \u00cdslenska: \u00fe \u00f0",
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439: \u0421\u044a\u0435\u0448\u044c \u0436\u0435 \u0435\u0449\u0451 \u044d\u0442\u0438\u0445 \u043c\u044f\u0433\u043a\u0438\u0445 \u0444\u0440\u0430\u043d\u0446\u0443\u0437\u0441\u043a\u0438\u0445 \u0431\u0443\u043b\u043e\u043a.",
    "\u0423\u043a\u0440\u0430\u0457\u043d\u0441\u044c\u043a\u0430: \u0491\u0430\u043d\u043e\u043a, \u0457\u0436\u0430\u043a, \u0454\u0434\u043d\u0456\u0441\u0442\u044c",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac: \u039e\u03b5\u03c3\u03ba\u03b5\u03c0\u03ac\u03b6\u03c9 \u03c4\u03b7\u03bd \u03c8\u03c5\u03c7\u03bf\u03c6\u03b8\u03cc\u03c1\u03b1 \u03b2\u03b4\u03b5\u03bb\u03c5\u03b3\u03bc\u03af\u03b1.",
    "Ti\u1ebfng Vi\u1ec7t: Xin ch\u00e0o, t\u00f4i l\u00e0 ng\u01b0\u1eddi Vi\u1ec7t Nam.",
    # Middle East, South and South-East Asia, Africa.
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629: \u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u060c \u0643\u064a\u0641 \u062d\u0627\u0644\u0643\u061f",
    "\u05e2\u05d1\u05e8\u05d9\u05ea: \u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd \u05e2\u05d5\u05b9\u05dc\u05b8\u05dd",
    "\u0641\u0627\u0631\u0633\u06cc: \u0633\u0644\u0627\u0645 \u062f\u0646\u06cc\u0627\u060c \u06f1\u06f2\u06f3",
    "\u0939\u093f\u0928\u094d\u0926\u0940: \u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e, \u0915\u094d\u092f\u093e \u0939\u093e\u0932 \u0939\u0948?",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0928\u0941\u0915\u094d\u0924\u093e: \u095b\u093f\u0902\u0926\u0917\u0940 \u091c\u093c\u093f\u0902\u0926\u0917\u0940",
    "\u09ac\u09be\u0982\u09b2\u09be: \u0986\u09ae\u09bf \u09a4\u09cb\u09ae\u09be\u0995\u09c7 \u09ad\u09be\u09b2\u09cb\u09ac\u09be\u09b8\u09bf",
    "\u09ac\u09be\u0982\u09b2\u09be \u09ad\u09c7\u0999\u09c7: \u09a4\u09c7\u09be\u09ae\u09be\u0995\u09c7",
    "\u0ba4\u0bae\u0bbf\u0bb4\u0bcd: \u0bb5\u0ba3\u0b95\u0bcd\u0b95\u0bae\u0bcd \u0b89\u0bb2\u0b95\u0bae\u0bcd",
    "\u0c24\u0c46\u0c32\u0c41\u0c17\u0c41 \u0c95\u0ca8\u0ccd\u0ca8\u0ca1 \u0d2e\u0d32\u0d2f\u0d3e\u0d33\u0d02 \u0a2a\u0a70\u0a1c\u0a3e\u0a2c\u0a40 \u0a97\u0ac1\u0a9c\u0ab0\u0abe\u0aa4\u0ac0",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22: \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a \u0e22\u0e34\u0e19\u0e14\u0e35\u0e15\u0e49\u0e2d\u0e19\u0e23\u0e31\u0e1a",
    "\u1797\u17b6\u179f\u17b6\u1781\u17d2\u1798\u17c2\u179a \u0ea5\u0eb2\u0ea7 \u1019\u103c\u1014\u103a\u1019\u102c",
    "\u12a0\u121b\u122d\u129b: \u1230\u120b\u121d \u12a0\u1208\u121d",
    "\u0540\u0561\u0575\u0565\u0580\u0565\u0576 \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8",
    "Kiswahili: Habari ya asubuhi? Nzuri sana, asante.",
    # East Asian.
    "\u4e2d\u6587\uff1a\u4f60\u597d\uff0c\u4e16\u754c\uff01\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002",
    "\u7e41\u9ad4\u4e2d\u6587\uff1a\u6211\u5011\u5728\u81fa\u7063\u5b78\u7fd2\u8a9e\u8a00\u3002",
    "\u65e5\u672c\u8a9e\uff1a\u3053\u3093\u306b\u3061\u306f\u3001\u4e16\u754c\uff01\u30ab\u30bf\u30ab\u30ca\u3068\u3072\u3089\u304c\u306a\u3002",
    "\uff8a\uff9d\uff76\uff78\uff76\uff80\uff76\uff85 half-width katakana",
    "\ud55c\uad6d\uc5b4: \uc548\ub155\ud558\uc138\uc694, \uc138\uacc4! \ub9cc\ub098\uc11c \ubc18\uac11\uc2b5\ub2c8\ub2e4.",
    "Mixed \u4e2d\u6587 and English and \u65e5\u672c\u8a9e and \ud55c\uad6d\uc5b4 in one line",
    "\u0e01\u0e02\u0e03 123 abc \u4e00\u4e8c\u4e09 \u0661\u0662\u0663",
    # Combining marks and NFC (Qwen normalizes to NFC; GPT-2 does not normalize).
    "e\u0301 vs \u00e9",
    "A\u030a vs \u00c5 vs \u212b",
    "cafe\u0301 re\u0301sume\u0301 nai\u0308ve",
    "q\u0303 x\u0304 combining marks without precomposed forms",
    "a\u0323\u0302 and a\u0302\u0323 (order of marks)",
    "\u1100\u1161\u11a8 conjoining jamo vs \uac01",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333",
    "\u0301 mark at start",
    "Angstrom \u212b and Ohm \u2126 and Kelvin \u212a singletons",
    "\u0344 and \u0958 excluded compositions",
    # Emoji.
    "\U0001F600\U0001F603\U0001F604\U0001F601",
    "I love \U0001F355 and \U0001F363!",
    "\U0001F44D\U0001F3FB\U0001F44D\U0001F3FC\U0001F44D\U0001F3FD\U0001F44D\U0001F3FE\U0001F44D\U0001F3FF skin tones",
    "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 family ZWJ",
    "\U0001F469\U0001F3FD\u200D\U0001F4BB woman technologist medium skin",
    "\U0001F3F3\uFE0F\u200D\U0001F308 rainbow flag and \U0001F3F4\u200D\u2620\uFE0F pirate flag",
    "Flags: \U0001F1FA\U0001F1F8 \U0001F1EF\U0001F1F5 \U0001F1E9\U0001F1EA \U0001F1EB\U0001F1F7 \U0001F1E7\U0001F1F7",
    "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Scotland tag sequence",
    "Keycaps 1\uFE0F\u20E3 #\uFE0F\u20E3 *\uFE0F\u20E3",
    "\u2764\uFE0F \u2764 \u263A\uFE0F text and emoji presentation",
    "hello\U0001F44Bworld\U0001F30D",
    "\U0001F600" * 20,
    # Letters and digits outside the BMP.
    "\U0001D400\U0001D401\U0001D402 math bold and \U0001D7CE\U0001D7CF math digits",
    "\U00020000\U00020001\U0002A6D6 CJK extension B",
    "\U00010330\U00010331\U00010332 Gothic letters",
    "\U0001F100 \U0001D7D8 astral numbers",
    # Special tokens inside text.
    "<|endoftext|>",
    "text before<|endoftext|>text after",
    "<|endoftext|><|endoftext|>",
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there.<|im_end|>\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>",
    "not quite special: <|im_end| and <|im_start and <|endoftext",
    "<think>\nreasoning here\n</think>\n\nanswer",
    "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
    "<|fim_prefix|>def f(<|fim_suffix|>):<|fim_middle|>",
    "  <|im_end|>  spaces around special  <|im_end|>",
    "word<|im_end|>word",
    "<|vision_start|><|image_pad|><|vision_end|>",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<<|endoftext|>>",
    # Long words and runs.
    "a" * 1000,
    "ab" * 700,
    "supercalifragilisticexpialidocious" * 30,
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "1234567890" * 100,
    " " * 300,
    "\n" * 100,
    " \n" * 100,
    "\t" * 80 + "x",
    "!" * 500,
    "-" * 200 + "\n" + "=" * 200,
    "\u4e00" * 400,
    "\u00e9" * 300,
    "\U0001F680" * 200,
    "https://example.com/" + "a" * 500,
]


def random_strings(rng: random.Random, count: int) -> list:
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789",
        " \t\n\r",
        "      ",
        ".,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`",
        "\u00e0\u00e9\u00ee\u00f6\u00fc\u00f1\u00e7\u00df\u00f8\u00e5\u00c6\u0153",
        "\u0430\u0431\u0432\u0433\u0434\u0435\u0451\u0436\u0437\u0418\u042f\u0429",
        "\u4e00\u4e8c\u4e09\u4eba\u5927\u5929\u5b66\u751f\u4e2d\u6587\u3001\u3002",
        "\u3042\u3044\u3046\u30a2\u30a4\u30a6\u30fc\u30f3",
        "\uac00\ub098\ub2e4\ub77c\ub9c8\ubc14\uc0ac",
        "\u0627\u0628\u062a\u062b\u062c\u062d\u0645\u0646\u0647\u0648\u064a\u0660\u0665",
        "\u0915\u0916\u0917\u093e\u093f\u0940\u094d\u0902\u0966\u0969",
        "\u0e01\u0e02\u0e04\u0e31\u0e34\u0e35\u0e48\u0e49",
        "\u0301\u0308\u0323\u0302\u030a\u0303",
        "\u00a0\u3000\u2003\u2028\u0085",
        "\u00b2\u00bd\u2160\u2460\uff11",
        "\u2019\u201c\u201d\u2013\u2014\u2026\u20ac\u00a3\u00a5\u00a9\u00ae\u2122",
        "\u017f\u212a\u212b\u2126",
    ]
    emoji = [
        "\U0001F600", "\U0001F44D\U0001F3FD", "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001F1FA\U0001F1F8",
        "\u2764\uFE0F", "\U0001F3F3\uFE0F\u200D\U0001F308", "\U0001D400", "\U00020000", "1\uFE0F\u20E3",
    ]
    words = ["the", "and", "token", "izer", "'s", "'ll", "n't", "Hello", "WORLD", "  ", "\r\n", "<|im_end|>",
             "<|endoftext|>", "<think>", "://", "0.5", "1000", "e\u0301", "\u00e9t\u00e9"]
    out = []
    for _ in range(count):
        length = rng.choice([1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144])
        parts = []
        for _ in range(length):
            r = rng.random()
            if r < 0.1:
                parts.append(rng.choice(emoji))
            elif r < 0.3:
                parts.append(rng.choice(words))
            else:
                pool = rng.choice(pools)
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
        out.append("".join(parts))
    return out


def main() -> None:
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = os.path.join(repo, "test", "MaskedSft.MLNet.Tests", "Fixtures", "Tokenizers", "parity_corpus.json")
    strings = HAND_WRITTEN + random_strings(random.Random(20240611), 220)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        json.dump({
            "description": "Parity corpus of the byte-level BPE tokenizer; generated by scripts/reference/tokenizer_parity_corpus.py",
            "count": len(strings),
            "strings": strings,
        }, f, ensure_ascii=True, indent=0)
        f.write("\n")
    print(f"wrote {out}: {len(strings)} strings")


if __name__ == "__main__":
    main()
