"""`get_file`: download a file (or archive) once into the Keras cache, check and extract it.

`urllib.request` and `tarfile` are imported on first use: they would add to the import
time of every program that never downloads anything."""

import hashlib
import os
import shutil
import tempfile
import urllib.parse
import uuid
import warnings
import zipfile

from kerasx.utils.atomic import atomic_write
from kerasx.utils.messages import print_msg

_CHUNK = 1 << 16


def keras_home():
    """`$KERAS_HOME`, else `~/.keras` (`/tmp/.keras` when the home is not writable)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The local path of the file at URL `origin`, downloaded into the cache if needed.

    The file goes to `<cache_dir>/<cache_subdir>/<fname>` (`~/.keras/datasets/` by
    default, `$KERAS_HOME/datasets/` when that variable is set), so a file already
    there, e.g. copied by hand, is used without a network. The download is written
    to a temporary file and renamed into place once complete and verified.

    Args:
        fname: the local file name (default: the last part of the URL path).
            Names with a path separator are refused: use `cache_dir`.
        origin: the URL (`https://`, `http://`, `file://`, ...).
        untar: deprecated, as `extract=True, archive_format="tar"`.
        md5_hash: deprecated, as `file_hash` with `hash_algorithm="md5"`.
        file_hash: the expected sha256 or md5 hex digest of the file. A cached
            file that does not match is downloaded again; a download that does
            not match raises ValueError.
        cache_subdir: the folder under the cache (an absolute path is used as is).
        hash_algorithm: `"sha256"`, `"md5"` or `"auto"` (sha256 for a 64-digit
            hash, md5 otherwise).
        extract: whether to extract the file, a tar (`.tar`, `.tar.gz`,
            `.tar.bz2`...) or zip archive, and return the folder it went to:
            `<fname>` when `fname` has no extension (the archive itself is then
            kept as `<fname>_archive`), else `<fname without extension>_extracted`.
        archive_format: `"auto"` (tar, then zip), `"tar"`, `"zip"`, a list of
            them, or None (no extraction).
        cache_dir: the cache folder (default `$KERAS_HOME` or `~/.keras`).
        force_download: whether to download even when the file is cached.

    Returns:
        The path of the file, or of the extraction folder.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(keras_home() if cache_dir is None else os.fspath(cache_dir))
    if not os.access(base, os.W_OK) and os.path.exists(base):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    given_name = fname
    fname = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                         "Please specify the `fname` argument.")
    if os.sep in fname:
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the "
                         f"file's parent directory, use the `cache_dir` argument. Received: "
                         f"fname={fname}")
    extracting = extract or untar
    if extracting and given_name and "." in fname:
        target = os.path.join(datadir, fname)
        extraction_dir = os.path.join(datadir, f"{fname[:fname.find('.')]}_extracted")
    elif extracting:
        target = os.path.join(datadir, f"{fname}_archive")
        extraction_dir = os.path.join(datadir, fname)
    else:
        target = os.path.join(datadir, fname)
    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash,
                                                                    hash_algorithm):
        print_msg(f"A local file was found, but it seems to be incomplete or outdated because "
                  f"the {hash_algorithm} file hash does not match the original value of "
                  f"{file_hash} so we will re-download the data.")
        download = True
    if download:
        _download(origin, target, file_hash, hash_algorithm)
    if not extracting:
        return target
    if download or not os.path.isdir(extraction_dir):
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(f"Could not extract archive {target}: it is not a "
                          f"{archive_format} archive.", stacklevel=2)
    return extraction_dir


def _download(origin, target, file_hash, hash_algorithm):
    import urllib.error
    import urllib.request

    print_msg(f"Downloading data from {origin}")

    def fetch(tmp_path):
        try:
            with urllib.request.urlopen(origin) as response, open(tmp_path, "wb") as out:
                shutil.copyfileobj(response, out, _CHUNK)
        except urllib.error.HTTPError as e:
            raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
        except urllib.error.URLError as e:
            raise Exception(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}") from e
        if file_hash is not None and not validate_file(tmp_path, file_hash, hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected. The {hash_algorithm} "
                             f"file hash does not match the provided value of {file_hash}.")

    atomic_write(target, fetch)


def resolve_hasher(algorithm, file_hash=None):
    """A hashlib object: sha256 for `"sha256"` or `"auto"` with a 64-digit hash, else md5."""
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm not in ("md5", "auto"):
        raise ValueError(f"Unknown hash_algorithm={algorithm!r}: expected 'sha256', 'md5' or "
                         "'auto'.")
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of the file at `fpath` (`algorithm`: a name or a hashlib object)."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """True when the file's sha256 or md5 digest is `file_hash`."""
    return hash_file(fpath, resolve_hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar or zip archive into the folder `path`; False when it is neither.

    Members that would land outside `path` (absolute paths, `..`, links leaving
    it) are skipped with a warning. The archive is unpacked next to `path` and
    renamed into place, so `path` never holds half an archive.
    """
    import tarfile

    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    for kind in [formats] if isinstance(formats, str) else formats:
        if kind not in ("tar", "zip"):
            raise NotImplementedError(f"archive_format={kind!r}: expected 'tar' or 'zip'.")
        is_kind = tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile
        if is_kind(file_path):
            _extract_into(file_path, os.fspath(path), kind)
            return True
    return False


def _extract_into(file_path, path, kind):
    import tarfile

    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = os.path.join(parent, f".tmp-{uuid.uuid4().hex[:12]}-{os.path.basename(path)}")
    os.makedirs(staging)
    try:
        if kind == "zip":
            with zipfile.ZipFile(file_path) as archive:
                archive.extractall(staging, members=[m for m in archive.infolist()
                                                     if _inside(staging, m.filename)])
        else:
            with tarfile.open(file_path) as archive:
                members = [m for m in archive.getmembers() if _safe_tar_member(staging, m)]
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(staging, members=members, filter="data")
                else:
                    archive.extractall(staging, members=members)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _inside(base, name):
    base = os.path.realpath(base)
    target = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([base, target]) == base:
        return True
    warnings.warn(f"Skipping invalid path during archive extraction: '{name}'.", stacklevel=4)
    return False


def _safe_tar_member(base, member):
    if not _inside(base, member.name):
        return False
    if member.islnk():
        return _inside(base, member.linkname)
    if member.issym():
        link_dir = os.path.dirname(os.path.join(base, member.name))
        return _inside(base, os.path.relpath(os.path.join(link_dir, member.linkname), base))
    return True
