"""The Milvus collections' schema (see :mod:`qa.index.milvus` for what they hold): their fields,
the BM25 analyzer, and creating them when missing, dropping and recreating them when they no
longer fit (another embedding dimension or layout)."""

from __future__ import annotations

import logging

from qa.index.lexical import STOPWORDS

log = logging.getLogger(__name__)

ID, TEXT = 2048, 65535  # VARCHAR max lengths
MAX_YEARS = 4096  # Milvus's largest ARRAY capacity
PUNCTUATION = list("，。、；：？！“”‘’（）《》〈〉【】「」『』—…·～,;:?!\"'()[]{}<>/\\|-_=+*&^$#@`~")
ANALYZER = {
    "tokenizer": {"type": "jieba", "mode": "search"},
    "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOPWORDS) + PUNCTUATION}],
}
CHUNK_FIELDS = [
    "chunk_id",
    "doc_id",
    "ingest_id",
    "paragraph",
    "start_offset",
    "end_offset",
    "text",
    "section",
    "period",
    "kind",
    "title",
    "doc_kind",
    "date",
    "years",
    "bm25_text",
    "vector",
    "sparse",
]
DOC_FIELDS = [
    "doc_id",
    "file",
    "sha256",
    "title",
    "date",
    "source",
    "published",
    "chunks",
    "kind",
    "ingest_id",
    "config",
    "years",
]


def create_collections(client, collection: str, dim: int) -> None:
    from pymilvus import DataType, Function, FunctionType

    if not client.has_collection(collection):
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=ID)
        for name in ("chunk_id", "doc_id"):
            schema.add_field(name, DataType.VARCHAR, max_length=ID)
        schema.add_field("ingest_id", DataType.VARCHAR, max_length=64)
        for name in ("paragraph", "start_offset", "end_offset"):
            schema.add_field(name, DataType.INT64)
        for name in ("text", "section", "period", "kind", "title", "doc_kind", "date"):
            schema.add_field(name, DataType.VARCHAR, max_length=TEXT)
        schema.add_field("years", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_YEARS)
        schema.add_field("bm25_text", DataType.VARCHAR, max_length=TEXT, enable_analyzer=True, analyzer_params=ANALYZER)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=["bm25_text"],
                output_field_names=["sparse"],
            )
        )
        index = client.prepare_index_params()
        index.add_index("vector", index_type="AUTOINDEX", metric_type="COSINE")
        index.add_index(
            "sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={"bm25_k1": 1.5, "bm25_b": 0.75}
        )  # bm25s's Lucene defaults
        client.create_collection(collection, schema=schema, index_params=index, consistency_level="Strong")
    documents = f"{collection}_documents"
    if not client.has_collection(documents):
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("doc_id", DataType.VARCHAR, is_primary=True, max_length=ID)
        for name in ("file", "sha256", "title", "date", "source", "published", "kind", "ingest_id", "config"):
            schema.add_field(name, DataType.VARCHAR, max_length=TEXT)
        schema.add_field("chunks", DataType.INT64)
        schema.add_field("years", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_YEARS)
        schema.add_field("_unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
        index = client.prepare_index_params()
        index.add_index("_unused", index_type="AUTOINDEX", metric_type="L2")
        client.create_collection(documents, schema=schema, index_params=index, consistency_level="Strong")
    client.load_collection(collection)
    client.load_collection(documents)


def ensure_schema(client, collection: str, dim: int) -> None:
    """Create the collections if missing; drop and recreate them when their schema does not fit
    (another embedding dimension or an older layout): everything is then re-embedded."""
    if client.has_collection(collection):
        fields = {f["name"]: f for f in client.describe_collection(collection)["fields"]}
        if set(CHUNK_FIELDS) - set(fields) or int(fields["vector"]["params"]["dim"]) != dim:
            log.warning("Milvus collection %s does not fit (schema or dimension changed): rebuilding it", collection)
            client.drop_collection(f"{collection}_documents")
            client.drop_collection(collection)
    create_collections(client, collection, dim)
