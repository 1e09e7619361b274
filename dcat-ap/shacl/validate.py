#!/usr/bin/env python3
"""Offline SHACL validation of metrodati DCAT-AP_IT catalogues (pySHACL + rdflib).

Follows shared/reference/dcat-ap-it.md §5:

* shapes = SEMIC DCAT-AP 3.0.1 ``shapes.ttl`` + ``mdr-vocabularies.shape.ttl``
  (+ the project's ``dcat-ap-it.shapes.ttl`` with ``--project-shapes``);
  ``imports.ttl``/``mdr_imports.ttl`` are not loaded (they only ``owl:imports``
  remote URLs) and ``range.ttl`` is not run (ITB advice);
* the EU vocabularies (data-theme, file-type, frequency, language) and the ADMS
  SKOS file (licence types) are merged into the *data* graph, not passed as an
  ontology graph (``-e`` is far too slow with these files);
* results whose focus node is a vocabulary node, not a node of the catalogue,
  are counted but otherwise ignored.

By default only the vocabulary triples reachable from the catalogue (concept ->
its triples -> its scheme's triples) are merged: for the catalogue's own focus
nodes this gives the same results as merging the whole files, without
validating thousands of language concepts.  ``--full-vocab`` merges everything.

Each ``--case NAME FILE.ttl`` is parsed with rdflib (Turtle); ``--rdfxml NAME
FILE.rdf`` additionally parses an RDF/XML serialisation of the same case and
checks it is isomorphic to the Turtle one.

Output: tab-separated lines on stdout, one record per line:

    PARSE    <case> <turtle triples> <rdfxml triples or -> <isomorphic: yes|no|->
    VOCAB    <case> <vocabulary triples merged>
    RAW_CONFORMS <case> <true|false>  (pySHACL's verdict, warnings allowed, including
                                      results on vocabulary nodes)
    RESULT   <case> <severity> <focus> <path> <constraint component> <message>
    IGNORED_RESULT <case> <severity> <focus> <path> <component> <message>
                                     (focus node is a vocabulary node: reported, not judged)
    IGNORED  <case> <number of results on vocabulary nodes>

The catalogue conforms when there is no RESULT line with severity Violation.

Exit status: 0 if everything ran (conformance is reported, not signalled),
2 on usage or parse errors.
"""

import argparse
import os
import sys

try:
    import pyshacl
    import rdflib
    from rdflib import BNode, Graph, Literal, URIRef
    from rdflib.compare import isomorphic
    from rdflib.namespace import RDF, SH
except ImportError as e:  # pragma: no cover
    print(f"missing Python package ({e}); run: pip install pyshacl", file=sys.stderr)
    sys.exit(3)

VOCABULARIES = [
    ("dcat-ap/eu-authority-tables/data-theme.ttl", "turtle"),
    ("dcat-ap/eu-authority-tables/filetypes.ttl", "turtle"),
    ("dcat-ap/eu-authority-tables/frequencies.ttl", "turtle"),
    ("dcat-ap/eu-authority-tables/languages.ttl", "turtle"),
    ("dcat-ap/semiceu-adms-ap/ADMS_SKOS_v1.00.rdf", "xml"),
]
SHAPES = [
    "dcat-ap/semiceu-dcat-ap/3.0.1/shapes.ttl",
    "dcat-ap/semiceu-dcat-ap/3.0.1/mdr-vocabularies.shape.ttl",
]


def clean(s):
    return " ".join(str(s).split())


def term(t, nsm):
    if t is None:
        return "-"
    if isinstance(t, URIRef):
        try:
            return nsm.normalizeUri(t)
        except Exception:
            return f"<{t}>"
    if isinstance(t, BNode):
        return "_:blank"
    if isinstance(t, Literal):
        return clean(t.n3())
    return clean(t)


def merge_reachable(data, vocab, depth=2):
    """Copy into ``data`` the vocabulary triples of every node reachable from
    the catalogue's object IRIs within ``depth`` hops.  Returns the count."""
    added = 0
    frontier = {o for o in data.objects() if isinstance(o, URIRef)}
    seen = set(frontier)
    for _ in range(depth):
        nxt = set()
        for node in frontier:
            for p, o in vocab.predicate_objects(node):
                if (node, p, o) not in data:
                    data.add((node, p, o))
                    added += 1
                if isinstance(o, (URIRef, BNode)) and o not in seen:
                    seen.add(o)
                    nxt.add(o)
        frontier = nxt
    return added


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--specs", required=True, help="the shared/specs directory")
    ap.add_argument("--project-shapes", help="extra shapes file (dcat-ap-it.shapes.ttl)")
    ap.add_argument("--case", nargs=2, action="append", metavar=("NAME", "TTL"), required=True)
    ap.add_argument("--rdfxml", nargs=2, action="append", metavar=("NAME", "RDF"), default=[])
    ap.add_argument("--full-vocab", action="store_true", help="merge whole vocabulary files")
    args = ap.parse_args()

    shapes = Graph()
    for rel in SHAPES:
        shapes.parse(os.path.join(args.specs, rel), format="turtle")
    if args.project_shapes:
        shapes.parse(args.project_shapes, format="turtle")

    vocab = Graph()
    for rel, fmt in VOCABULARIES:
        vocab.parse(os.path.join(args.specs, rel), format=fmt)

    rdfxml = dict(args.rdfxml)
    out = sys.stdout
    for name, path in args.case:
        try:
            own = Graph().parse(path, format="turtle")
        except Exception as e:
            print(f"cannot parse {path} as Turtle: {e}", file=sys.stderr)
            return 2
        n_xml, iso = "-", "-"
        if name in rdfxml:
            try:
                xml_graph = Graph().parse(rdfxml[name], format="xml")
            except Exception as e:
                print(f"cannot parse {rdfxml[name]} as RDF/XML: {e}", file=sys.stderr)
                return 2
            n_xml = str(len(xml_graph))
            iso = "yes" if isomorphic(own, xml_graph) else "no"
        out.write(f"PARSE\t{name}\t{len(own)}\t{n_xml}\t{iso}\n")

        own_subjects = set(own.subjects())
        data = Graph()
        for t in own:
            data.add(t)
        if args.full_vocab:
            before = len(data)
            data += vocab
            n_vocab = len(data) - before
        else:
            n_vocab = merge_reachable(data, vocab)
        out.write(f"VOCAB\t{name}\t{n_vocab}\n")

        conforms, results, _ = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference="none",
            abort_on_first=False,
            allow_warnings=True,
            advanced=False,
            meta_shacl=False,
        )
        out.write(f"RAW_CONFORMS\t{name}\t{'true' if conforms else 'false'}\n")
        nsm = own.namespace_manager
        ignored = 0
        rows = []
        for report in results.subjects(RDF.type, SH.ValidationReport):
            for r in results.objects(report, SH.result):
                focus = results.value(r, SH.focusNode)
                kind = "RESULT"
                if focus not in own_subjects:
                    ignored += 1
                    kind = "IGNORED_RESULT"
                sev = results.value(r, SH.resultSeverity)
                rows.append(
                    "\t".join(
                        [
                            kind,
                            name,
                            str(sev).rsplit("#", 1)[-1] if sev else "-",
                            term(focus, nsm),
                            term(results.value(r, SH.resultPath), nsm),
                            term(results.value(r, SH.sourceConstraintComponent), nsm),
                            clean(results.value(r, SH.resultMessage) or "-"),
                        ]
                    )
                )
        for row in sorted(rows):
            out.write(row + "\n")
        out.write(f"IGNORED\t{name}\t{ignored}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
